/* analytics-unit-test.c: the computations behind viewing analytics and the
 * report score, without a server.
 *
 * Covered: watch sessions (continuous play, pause and resume, a seek, a jump
 * that is not watching, replays counting in watch time but not twice in
 * coverage, 2× speed, a lone event); views of items without a duration;
 * retention points and completion at exactly 90 %; merging figures; the
 * score (weights × min (1, value / target), the lower-is-better response
 * time, nothing to answer) and report rules from an INI file, with the
 * refusals (unknown indicator, bad numbers, weights not adding up to 100).
 * Suite: unit.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "yg-analytics.h"
#include "yg-report.h"
#include "yg-test-util.h"

#define P(t, e, pos) { (gint64) (t) * 1000, YG_HEARTBEAT_##e, pos }

static YgWatchSession
session (const YgWatchPoint *points, guint n)
{
  YgWatchSession s;

  yg_analytics_session (points, n, &s);
  return s;
}

static void
test_sessions (void)
{
  static const YgWatchPoint play[] = { P (0, START, 0), P (10, TICK, 10), P (20, END, 20) };
  static const YgWatchPoint paused[] = { P (0, START, 0), P (10, PAUSE, 10), P (500, TICK, 10),
                                         P (510, TICK, 20) };
  static const YgWatchPoint seek[] = { P (0, START, 0), P (10, TICK, 10), P (11, SEEK, 60),
                                       P (21, TICK, 70) };
  static const YgWatchPoint jump[] = { P (0, START, 0), P (1, TICK, 50), P (11, TICK, 60) };
  static const YgWatchPoint replay[] = { P (0, START, 0), P (30, TICK, 30), P (31, SEEK, 0),
                                         P (61, TICK, 30) };
  static const YgWatchPoint fast[] = { P (0, START, 0), P (10, TICK, 20) };
  static const YgWatchPoint lone[] = { P (0, START, 0) };
  static const YgWatchPoint backwards[] = { P (0, START, 40), P (10, TICK, 30) };
  YgWatchSession s;

  s = session (play, G_N_ELEMENTS (play));
  g_assert_cmpfloat (s.watch_seconds, ==, 20);
  g_assert_cmpfloat (s.covered, ==, 20);
  g_assert_cmpfloat (s.reach, ==, 20);
  s = session (paused, G_N_ELEMENTS (paused));
  g_assert_cmpfloat (s.watch_seconds, ==, 20);
  g_assert_cmpfloat (s.covered, ==, 20);
  s = session (seek, G_N_ELEMENTS (seek));
  g_assert_cmpfloat (s.watch_seconds, ==, 20);
  g_assert_cmpfloat (s.covered, ==, 20);
  g_assert_cmpfloat (s.reach, ==, 70);
  s = session (jump, G_N_ELEMENTS (jump));
  g_assert_cmpfloat (s.watch_seconds, ==, 10);
  g_assert_cmpfloat (s.reach, ==, 60);
  s = session (replay, G_N_ELEMENTS (replay));
  g_assert_cmpfloat (s.watch_seconds, ==, 60);
  g_assert_cmpfloat (s.covered, ==, 30);
  s = session (fast, G_N_ELEMENTS (fast));
  g_assert_cmpfloat (s.watch_seconds, ==, 20);
  s = session (lone, G_N_ELEMENTS (lone));
  g_assert_cmpfloat (s.watch_seconds, ==, 0);
  g_assert_cmpfloat (s.reach, ==, 0);
  s = session (backwards, G_N_ELEMENTS (backwards));
  g_assert_cmpfloat (s.watch_seconds, ==, 0);
}

static void
test_figures (void)
{
  YgAnalyticsFigures f = { 0 }, g = { 0 };
  YgWatchSession ninety = { 90, 90, 90 }, almost = { 89.9, 89.9, 89.9 }, untimed = { 30, 30, 30 };

  yg_analytics_add_session (&f, &ninety, 100);
  yg_analytics_add_session (&f, &almost, 100);
  yg_analytics_add_session (&f, &untimed, 0);
  g_assert_cmpint (f.views, ==, 3);
  g_assert_cmpint (f.timed_views, ==, 2);
  g_assert_cmpint (f.completions, ==, 1);
  g_assert_cmpfloat (f.watch_seconds, ==, 209.9);
  g_assert_cmpfloat (yg_analytics_completion_rate (&f), ==, 0.5);
  g_assert_cmpfloat_with_epsilon (yg_analytics_average_fraction (&f), 0.8995, 1e-9);
  g_assert_cmpfloat (yg_analytics_retention (&f, 0), ==, 1);
  g_assert_cmpfloat (yg_analytics_retention (&f, 17), ==, 1);   /* 85 % */
  g_assert_cmpfloat (yg_analytics_retention (&f, 18), ==, 0.5); /* 90 % */
  g_assert_cmpfloat (yg_analytics_retention (&f, 20), ==, 0);
  yg_analytics_merge (&g, &f);
  yg_analytics_merge (&g, &f);
  g_assert_cmpint (g.views, ==, 6);
  g_assert_cmpint (g.reach[18], ==, 2);
  g_assert_cmpfloat (yg_analytics_retention (&g, 18), ==, 0.5);
  memset (&g, 0, sizeof g);
  g_assert_cmpfloat (yg_analytics_retention (&g, 5), ==, 0);
}

static void
test_score (void)
{
  YgReportRules rules;
  g_autoptr (YgReport) r = g_new0 (YgReport, 1);

  yg_report_rules_init (&rules);
  r->content_hours_total = 40;          /* target 20: 15 */
  r->totals.watch_seconds = 250 * 3600; /* half of 500: 10 */
  r->totals.unique_viewers = 1000;      /* 15 */
  r->totals.timed_views = 4;
  r->totals.completions = 1;            /* 0.25 of 0.5: 5 */
  r->course_completions = 100;          /* 10 */
  r->median_response_hours = 14 * 24;   /* 14 days for 7: 5 */
  r->satisfaction = 4.5;                /* 20 */
  yg_report_score (r, &rules);
  g_assert_cmpfloat_with_epsilon (r->score, 80, 1e-9);
  g_assert_false (r->passed);
  r->median_response_hours = 24;
  r->totals.completions = 2;
  yg_report_score (r, &rules);
  g_assert_cmpfloat_with_epsilon (r->score, 90, 1e-9);
  g_assert_true (r->passed);
  /* nothing answered: full marks only when nothing waits for an answer */
  r->median_response_hours = NAN;
  r->requests_awaiting = 0;
  yg_report_score (r, &rules);
  g_assert_cmpfloat_with_epsilon (r->score, 90, 1e-9);
  r->requests_awaiting = 1;
  yg_report_score (r, &rules);
  g_assert_cmpfloat_with_epsilon (r->score, 80, 1e-9);
}

static void
test_rules_file (void)
{
  static const struct
  {
    const char *text;
    gboolean ok;
  } cases[] = {
    { "[indicators]\nwatch_hours = 30, 1000\nsatisfaction = 10, 4\n[report]\npass_line = 90\n",
      TRUE },
    { "[indicators]\nwatch_hours = 30, 1000\n", FALSE },       /* adds up to 110 */
    { "[indicators]\nsmiles = 20, 4\n", FALSE },
    { "[indicators]\nwatch_hours = 20\n", FALSE },
    { "[indicators]\nwatch_hours = 20, -5\n", FALSE },
    { "[indicators]\nwatch_hours = twenty, 500\n", FALSE },
    { "[report]\npass_line = 120\n", FALSE },
    { "not an ini file", FALSE },
  };
  g_autofree char *dir = yg_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "report.ini", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      YgReportRules rules;
      g_autoptr (GError) error = NULL;

      yg_report_rules_init (&rules);
      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      g_assert_cmpint (yg_report_rules_load (&rules, path, &error), ==, cases[i].ok);
      if (cases[i].ok)
        {
          g_assert_cmpfloat (rules.pass_line, ==, 90);
          g_assert_cmpfloat (rules.indicators[1].weight, ==, 30);
          g_assert_cmpfloat (rules.indicators[1].target, ==, 1000);
        }
      else
        g_assert_nonnull (error);
    }
  yg_test_rm_rf (dir);
}

static void
test_months (void)
{
  gint64 from, to;

  g_assert_true (yg_report_parse_month ("2026-10", &from, &to));
  g_assert_cmpint (from, ==, 20727);
  g_assert_cmpint (to - from, ==, 31);
  g_assert_true (yg_report_parse_month ("2028-02", &from, &to));
  g_assert_cmpint (to - from, ==, 29);
  g_assert_false (yg_report_parse_month ("2026-13", &from, &to));
  g_assert_false (yg_report_parse_month ("2026-1", &from, &to));
  g_assert_false (yg_report_parse_month ("26-10-01", &from, &to));
  g_assert_false (yg_report_parse_month ("1999-10", &from, &to));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Watch sessions, figures, retention and the report score");
  g_test_add_func ("/analytics-unit/sessions", test_sessions);
  g_test_add_func ("/analytics-unit/figures", test_figures);
  g_test_add_func ("/analytics-unit/score", test_score);
  g_test_add_func ("/analytics-unit/rules-file", test_rules_file);
  g_test_add_func ("/analytics-unit/months", test_months);
  return g_test_run ();
}
