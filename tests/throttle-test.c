/* throttle-test.c: YgThrottle, the sign-in token buckets, with a fake clock.
 *
 * A bucket allows its burst, then refuses with the time until one token is
 * back; tokens come back at the refill rate and never beyond the burst; a
 * given-back token and a reset count; keys are independent; the table never
 * holds more than its bound, dropping full buckets first, then the least
 * recently used. Suite: unit.
 */
#include "yg-throttle.h"

#define S G_GINT64_CONSTANT (1000000)

static void
test_burst_and_refill (void)
{
  g_autoptr (YgThrottle) t = yg_throttle_new (3, 10, 100);
  gint64 now = 1000 * S;

  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpuint (yg_throttle_retry_after (t, "a", now), ==, 0);
      yg_throttle_take (t, "a", now);
    }
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now), ==, 11);
  g_assert_cmpuint (yg_throttle_retry_after (t, "b", now), ==, 0); /* keys are independent */
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 5 * S), ==, 6);
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 10 * S), ==, 0);
  yg_throttle_take (t, "a", now + 10 * S);
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 10 * S), >, 0);
  /* a long pause refills to the burst, not beyond */
  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 3600 * S), ==, 0);
      yg_throttle_take (t, "a", now + 3600 * S);
    }
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 3600 * S), >, 0);
  yg_throttle_give_back (t, "a", now + 3600 * S);
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 3600 * S), ==, 0);
  yg_throttle_take (t, "a", now + 3600 * S);
  yg_throttle_reset (t, "a");
  g_assert_cmpuint (yg_throttle_retry_after (t, "a", now + 3600 * S), ==, 0);
}

static void
test_bounded (void)
{
  g_autoptr (YgThrottle) t = yg_throttle_new (2, 60, 50);
  gint64 now = 1000 * S;

  /* "victim" is emptied first, then 200 other keys arrive over time */
  yg_throttle_take (t, "victim", now);
  yg_throttle_take (t, "victim", now);
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);
      yg_throttle_take (t, key, now + i);
      g_assert_cmpuint (yg_throttle_size (t), <=, 50);
    }
  /* least recently used goes first when nothing is full: the victim is gone */
  g_assert_cmpuint (yg_throttle_retry_after (t, "victim", now + 300), ==, 0);
  /* buckets that refilled completely are dropped before used ones */
  {
    g_autoptr (YgThrottle) u = yg_throttle_new (2, 1, 3);
    yg_throttle_take (u, "old", now);
    yg_throttle_take (u, "busy", now + 5 * S);
    yg_throttle_take (u, "busy", now + 5 * S);
    yg_throttle_take (u, "x", now + 5 * S);
    yg_throttle_take (u, "y", now + 5 * S); /* "old" has refilled: it makes room */
    g_assert_cmpuint (yg_throttle_size (u), ==, 3);
    g_assert_cmpuint (yg_throttle_retry_after (u, "busy", now + 5 * S), >, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Sign-in token buckets: burst, refill, bound");
  g_test_add_func ("/throttle/burst-and-refill", test_burst_and_refill);
  g_test_add_func ("/throttle/bounded", test_bounded);
  return g_test_run ();
}
