/*
 * report.h - the self-contained HTML report of one or more results
 * directories (`mmbench report`): run context, per-trace summary,
 * latency percentile plots, fragmentation over time, a free-pages heatmap,
 * hardware counters, model versus reality, policy comparison and
 * microbenchmarks.  Charts are drawn in the browser by uPlot (inlined) and
 * report/report.js from data embedded as JSON; every chart has a <table>
 * with the same figures under it.
 */
#ifndef MMBENCH_REPORT_REPORT_H
#define MMBENCH_REPORT_REPORT_H

#include <stddef.h>

#include "resdir.h"

/* Section headings, in page order (the browser and CLI tests look for them). */
extern const char *const report_sections[];
extern const size_t report_nr_sections;

/*
 * Write the report of set to path (through a temporary file renamed into
 * place).  Returns 0, or -1 with "PATH: reason" in err.
 */
int report_write(const rset_t *set, const char *path, char *err, size_t errlen);

#endif /* MMBENCH_REPORT_REPORT_H */
