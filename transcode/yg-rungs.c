/* yg-rungs.c: the ABR ladder as a const table, and how it fits one source.
 *
 * Rungs are named after the short edge of the picture ("720p" is 1280×720
 * landscape or 720×1280 portrait), so a phone's vertical video gets the
 * same pixel budget as a landscape one. Invariants of a plan:
 *  - never upscale: a rung is used only when its short edge is at or below
 *    the source's displayed short edge; a source smaller than the lowest rung
 *    still gets that rung, at the source's own size;
 *  - output pixels are square: the displayed aspect (coded size × pixel
 *    aspect ratio, then rotation) is kept, both dimensions even;
 *  - H.264 level <= 4.1 everywhere: a picture too big for 4.1 is shrunk, and
 *    a rate too high for the top rung (1080p above 30 fps) halves the rate of
 *    every rung, so all rungs keep sharing the same frames (and keyframes).
 * Pure code; thread: any.
 */
#define G_LOG_DOMAIN "yg-transcode"

#include "yg-rungs.h"

#include <string.h>

static const YgRung rungs[] = {
  { "1080p", 1080, 5000, "high" },
  { "720p", 720, 2800, "high" },
  { "480p", 480, 1400, "main" },
  { "360p", 360, 800, "main" },
};
G_STATIC_ASSERT (G_N_ELEMENTS (rungs) == YG_RUNGS_MAX);

/* H.264 Table A-1: MaxMBPS and MaxFS per level (4.0 and 4.1 differ only in
 * bit rate, far above the ladder's). */
static const struct
{
  guint level_idc;
  guint max_mbps;
  guint max_fs;
} levels[] = {
  { 30, 40500, 1620 },
  { 31, 108000, 3600 },
  { 32, 216000, 5120 },
  { 40, 245760, 8192 },
  { 41, 245760, 8192 },
};

#define MAX_LEVEL_FS 8192
#define MAX_LEVEL_MBPS 245760

/**
 * yg_rungs_get_table:
 * @n_rungs: (out): number of entries
 *
 * Returns: (transfer none) (array length=n_rungs): the ladder, highest first
 */
const YgRung *
yg_rungs_get_table (guint *n_rungs)
{
  g_return_val_if_fail (n_rungs != NULL, NULL);

  *n_rungs = G_N_ELEMENTS (rungs);
  return rungs;
}

static guint64
macroblocks (guint width, guint height)
{
  return (guint64) ((width + 15) / 16) * ((height + 15) / 16);
}

static guint64
mb_per_second (guint width, guint height, guint fps_n, guint fps_d)
{
  if (fps_n == 0 || fps_d == 0)
    {
      fps_n = 30;
      fps_d = 1;
    }
  return (macroblocks (width, height) * fps_n + fps_d - 1) / fps_d;
}

/**
 * yg_rungs_level_for:
 * @width: picture width
 * @height: picture height
 * @fps_n: frame rate numerator (0 = unknown, taken as 30)
 * @fps_d: frame rate denominator
 *
 * Returns: the lowest level_idc from 3.0 to 4.1 whose frame size and
 *   macroblock rate fit, or 0 when even 4.1 does not
 */
guint
yg_rungs_level_for (guint width, guint height, guint fps_n, guint fps_d)
{
  guint64 fs = macroblocks (width, height);
  guint64 mbps = mb_per_second (width, height, fps_n, fps_d);

  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++)
    if (fs <= levels[i].max_fs && mbps <= levels[i].max_mbps)
      return levels[i].level_idc;
  return 0;
}

static guint
even (double x)
{
  guint r = x <= 0 ? 0 : 2 * (guint) (x / 2.0 + 0.5);
  return r < 2 ? 2 : r;
}

/* The picture at @short_edge (square pixels) for a display of dw × dh. */
static void
fit (double dw, double dh, guint short_edge, guint *width, guint *height)
{
  if (dw >= dh)
    {
      *height = even (short_edge);
      *width = even (short_edge * dw / dh);
    }
  else
    {
      *width = even (short_edge);
      *height = even (short_edge * dh / dw);
    }
}

/**
 * yg_rungs_plan:
 * @source: the decoded picture's geometry
 * @plan: (out caller-allocates): the rungs to produce and their sizes
 *
 * Returns: %FALSE when the source has no usable picture size (a zero or
 *   absurd dimension, more than 16384 pixels on an edge)
 */
gboolean
yg_rungs_plan (const YgRungSource *source, YgLadderPlan *plan)
{
  double dw, dh, short_edge;

  g_return_val_if_fail (source != NULL, FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);

  memset (plan, 0, sizeof *plan);
  if (source->width == 0 || source->height == 0 || source->width > 16384
      || source->height > 16384)
    return FALSE;

  dw = source->width;
  dh = source->height;
  if (source->par_n > 0 && source->par_d > 0)
    {
      double par = (double) source->par_n / source->par_d;
      if (par < 1.0 / 16 || par > 16)
        return FALSE;
      dw *= par;
    }
  if (source->rotation == 90 || source->rotation == 270)
    {
      double t = dw;
      dw = dh;
      dh = t;
    }
  short_edge = MIN (dw, dh);

  for (gsize i = 0; i < G_N_ELEMENTS (rungs); i++)
    {
      YgRungPlan *p = &plan->rungs[plan->n_rungs];

      if (rungs[i].short_edge > even (short_edge))
        continue;
      p->rung = &rungs[i];
      fit (dw, dh, rungs[i].short_edge, &p->width, &p->height);
      plan->n_rungs++;
    }
  if (plan->n_rungs == 0)
    {
      /* Smaller than the lowest rung: that rung at the source's own size. */
      YgRungPlan *p = &plan->rungs[0];

      p->rung = &rungs[G_N_ELEMENTS (rungs) - 1];
      p->width = even (dw);
      p->height = even (dh);
      plan->n_rungs = 1;
    }

  /* Level 4.1 frame size: shrink a very wide (or tall) picture. */
  for (guint i = 0; i < plan->n_rungs; i++)
    {
      YgRungPlan *p = &plan->rungs[i];
      guint edge = MIN (p->width, p->height);

      while (macroblocks (p->width, p->height) > MAX_LEVEL_FS && edge > 16)
        {
          edge -= 8;
          fit (dw, dh, edge, &p->width, &p->height);
        }
    }
  /* Shrinking can make rungs collide: keep each size once, descending. */
  for (guint i = 1; i < plan->n_rungs;)
    {
      if (MIN (plan->rungs[i].width, plan->rungs[i].height)
          >= MIN (plan->rungs[i - 1].width, plan->rungs[i - 1].height))
        {
          memmove (&plan->rungs[i], &plan->rungs[i + 1],
                   (plan->n_rungs - i - 1) * sizeof plan->rungs[0]);
          plan->n_rungs--;
        }
      else
        i++;
    }

  /* Level 4.1 macroblock rate at the top rung: halve the rate for all. */
  plan->fps_n = source->fps_n;
  plan->fps_d = source->fps_n > 0 ? source->fps_d : 0;
  while (plan->fps_n > 0 && plan->fps_d > 0
         && mb_per_second (plan->rungs[0].width, plan->rungs[0].height, plan->fps_n,
                           plan->fps_d) > MAX_LEVEL_MBPS
         && plan->fps_n / plan->fps_d >= 2)
    {
      if (plan->fps_n % 2 == 0)
        plan->fps_n /= 2;
      else
        plan->fps_d *= 2;
      plan->halve_fps = TRUE;
    }

  for (guint i = 0; i < plan->n_rungs; i++)
    plan->rungs[i].level_idc = yg_rungs_level_for (plan->rungs[i].width, plan->rungs[i].height,
                                                   plan->fps_n, plan->fps_d);
  return TRUE;
}

/**
 * yg_rungs_avc_codec_from_annexb:
 * @data: (array length=size): H.264 in Annex B byte-stream form
 * @size: length of @data
 *
 * Finds the first sequence parameter set and names it for a CODECS
 * attribute (RFC 6381): "avc1." + profile_idc, the constraint flags byte and
 * level_idc in hex, e.g. "avc1.64001f" for High 3.1.
 *
 * Returns: (transfer full) (nullable): the codec string, or %NULL when @data
 *   holds no complete SPS header
 */
char *
yg_rungs_avc_codec_from_annexb (const guint8 *data, gsize size)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);

  for (gsize i = 0; i + 3 < size; i++)
    {
      gsize nal;

      if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
        continue;
      nal = i + 3;
      if ((data[nal] & 0x1f) == 7 && nal + 3 < size && data[nal + 1] != 0)
        return g_strdup_printf ("avc1.%02x%02x%02x", data[nal + 1], data[nal + 2],
                                data[nal + 3]);
      i = nal - 1;
    }
  return NULL;
}
