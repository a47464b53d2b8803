/*
 * report.js - draws the charts of mmbench's HTML report from the JSON in
 * element #report-data: HdrHistogram-style latency percentile plots and
 * per-order time series with uPlot, and the free-pages heatmap on a canvas of
 * its own.  Every string from the data goes in through textContent or uPlot
 * (which sets textContent); nothing here parses HTML.
 */
(function () {
	"use strict";
	var data = JSON.parse(document.getElementById("report-data").textContent);
	var palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
		"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#ad494a"];
	var width = Math.min(1100, Math.max(480, document.body.clientWidth - 80));

	function pctLabel(x) {
		/* x = 1/(1-p): 1 -> 0%, 10 -> 90%, 100 -> 99%, ... */
		if (x <= 1) return "0%";
		var p = (1 - 1 / x) * 100;
		var digits = Math.max(0, Math.round(Math.log10(x)) - 2);
		return p.toFixed(digits) + "%";
	}

	function nsLabel(v) {
		if (v >= 1e9) return (v / 1e9).toPrecision(3) + " s";
		if (v >= 1e6) return (v / 1e6).toPrecision(3) + " ms";
		if (v >= 1e3) return (v / 1e3).toPrecision(3) + " \u00b5s";
		return v.toPrecision(3) + " ns";
	}

	function latencyChart(el, spec) {
		var tables = [], series = [{ label: "percentile", value: function (u, v) { return v == null ? "--" : pctLabel(v); } }];
		/* log y needs values above 0; a chart of nothing but zeros goes linear */
		var logY = spec.series.some(function (s) { return s.y.some(function (v) { return v > 0; }); });
		spec.series.forEach(function (s, i) {
			var x = [], y = [];
			s.x.forEach(function (xv, k) {
				if (!logY || s.y[k] > 0) { x.push(xv); y.push(s.y[k]); }
			});
			if (!x.length) return;
			tables.push([x, y]);
			series.push({
				label: s.label,
				stroke: palette[(s.dash ? i - 1 : i) % palette.length],
				dash: s.dash ? [6, 4] : undefined,
				width: 1.5,
				spanGaps: true,
				points: { show: x.length <= 3, size: 7 },
				value: function (u, v) { return v == null ? "--" : nsLabel(v); },
			});
		});
		if (!tables.length) {
			var p = document.createElement("p");
			p.className = "note";
			p.textContent = "no samples to plot";
			el.appendChild(p);
			return;
		}
		var joined = uPlot.join(tables);
		new uPlot({
			width: width, height: 320,
			/* room on the right for the last tick label ("99.9999%") */
			padding: [12, 36, 0, 0],
			scales: {
				x: { time: false, distr: 3, range: function (u, min, max) { return [1, Math.pow(10, Math.max(1, Math.ceil(Math.log10(max || 10))))]; } },
				y: logY ? { distr: 3 } : {},
			},
			axes: [
				{
					label: "percentile (1/(1-p), log)",
					/* one tick per nine: 0%, 90%, 99%, 99.9%, ... */
					splits: function (u, ai, min, max) {
						var out = [];
						for (var v = 1; v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
						return out;
					},
					values: function (u, vals) { return vals.map(pctLabel); },
				},
				{ label: logY ? "ns (log)" : "ns", size: 70, values: function (u, vals) { return vals.map(function (v) { return v == null ? "" : nsLabel(v); }); } },
			],
			series: series,
		}, joined, el);
	}

	function linesChart(el, spec) {
		var series = [{ label: spec.xlabel }];
		var cols = [spec.x];
		spec.series.forEach(function (s, i) {
			series.push({ label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: true, points: { show: false } });
			cols.push(s.y);
		});
		new uPlot({
			width: width, height: 300,
			scales: { x: { time: false } },
			axes: [{ label: spec.xlabel }, { label: spec.ylabel, size: 60 }],
			series: series,
		}, cols, el);
	}

	/* A viridis-like ramp, t in 0..1. */
	function ramp(t) {
		var stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
		var f = Math.max(0, Math.min(1, t)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(f)), k = f - i;
		var c = [0, 1, 2].map(function (j) { return Math.round(stops[i][j] + (stops[i + 1][j] - stops[i][j]) * k); });
		return "rgb(" + c.join(",") + ")";
	}

	function heatmapChart(el, spec) {
		var rows = spec.z.length, cols = spec.x.length;
		var left = 60, bottom = 36, top = 8, right = 110;
		var cw = Math.max(1, Math.floor((width - left - right) / Math.max(1, cols)));
		var ch = 18;
		var canvas = document.createElement("canvas");
		canvas.className = "heatmap";
		canvas.width = left + cw * cols + right;
		canvas.height = top + ch * rows + bottom;
		el.appendChild(canvas);
		var g = canvas.getContext("2d");
		var max = 0;
		spec.z.forEach(function (r) { if (r) r.forEach(function (v) { if (v > max) max = v; }); });
		var lmax = Math.log10(1 + max) || 1;
		g.fillStyle = "#ffffff";
		g.fillRect(0, 0, canvas.width, canvas.height);
		for (var o = 0; o < rows; o++) {
			var r = spec.z[o], y = top + (rows - 1 - o) * ch;
			for (var i = 0; i < cols; i++) {
				var v = r ? r[i] : null;
				g.fillStyle = v == null ? "#e5e7eb" : ramp(Math.log10(1 + v) / lmax);
				g.fillRect(left + i * cw, y, cw, ch);
			}
			g.fillStyle = "#1d2330";
			g.font = "12px sans-serif";
			g.textAlign = "right";
			g.fillText("order " + o, left - 6, y + ch - 5);
		}
		g.textAlign = "center";
		var ticks = Math.min(cols, 6);
		for (var t = 0; t < ticks; t++) {
			var idx = Math.round(t * (cols - 1) / Math.max(1, ticks - 1));
			g.fillText(Number(spec.x[idx]).toPrecision(3), left + idx * cw + cw / 2, top + rows * ch + 14);
		}
		g.fillText(spec.xlabel, left + cw * cols / 2, top + rows * ch + 30);
		/* legend: the ramp from 0 to max pages */
		var lx = left + cw * cols + 20;
		for (var s = 0; s < 100; s++) {
			g.fillStyle = ramp(s / 99);
			g.fillRect(lx, top + rows * ch - (s + 1) * (rows * ch) / 100, 14, (rows * ch) / 100 + 1);
		}
		g.fillStyle = "#1d2330";
		g.textAlign = "left";
		g.fillText(String(Math.round(max)), lx + 18, top + 10);
		g.fillText("0 pages", lx + 18, top + rows * ch);
	}

	var draw = { latency: latencyChart, lines: linesChart, heatmap: heatmapChart };
	document.querySelectorAll("div.chart").forEach(function (el) {
		var spec = data.charts[Number(el.getAttribute("data-chart"))];
		var f = spec && draw[spec.type];
		if (f) f(el, spec);
	});
	document.body.setAttribute("data-charts-drawn", String(data.charts.length));
})();
