/* yg-report-format.h: analytics rows and the monthly report as JSON and CSV. */
#pragma once

#include <json-glib/json-glib.h>

#include "yg-analytics.h"
#include "yg-report.h"

G_BEGIN_DECLS

JsonNode *yg_report_format_figures (const YgAnalyticsFigures *f);
JsonNode *yg_report_format_row (const YgAnalyticsRow *row);
JsonNode *yg_report_format_population (const YgAnalyticsPopulation *p);
JsonNode *yg_report_format_json (const YgReport *r);
char *yg_report_format_csv (const YgReport *r);
char *yg_report_format_html (const YgReport *r);

G_END_DECLS
