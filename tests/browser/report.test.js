/*
 * tests/browser/report.test.js - open mmbench's HTML report in headless
 * Debian chromium from file:// and check that it works offline.
 *
 * usage: node tests/browser/report.test.js INDEX_HTML SCREENSHOT_PNG
 *
 * Fails (exit 1) on any console error, page error or request that is not
 * file://; when a section heading is missing; when any chart did not draw
 * (a chart <div> without a canvas, or a canvas whose pixels hold no colour);
 * when the run context does not count cells and repetitions ("5 cells, 5
 * repetitions (25 runs)"); when the page holds any <script> element beyond its three own (the data
 * block, uPlot, report.js), or a string from a trace ran as code.  Saves a
 * full-page screenshot either way.  CHROMIUM overrides /usr/bin/chromium.
 */
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const SECTIONS = [
	"Run context",
	"Per-trace summary",
	"Latency percentiles",
	"Fragmentation over time",
	"Free pages per order",
	"Hardware counters",
	"Model versus reality",
	"Policy comparison",
	"Microbenchmarks",
];

async function main() {
	if (process.argv.length !== 4) {
		console.error("usage: node report.test.js INDEX_HTML SCREENSHOT_PNG");
		process.exit(2);
	}
	const html = path.resolve(process.argv[2]);
	const shot = path.resolve(process.argv[3]);
	const problems = [];
	let passed = 0;
	const check = (ok, what) => {
		if (ok) {
			passed++;
			console.log("ok    " + what);
		} else {
			problems.push(what);
			console.log("FAIL  " + what);
		}
	};

	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu"],
	});
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		const errors = [];
		page.on("console", (m) => {
			if (m.type() === "error") errors.push("console error: " + m.text());
		});
		page.on("pageerror", (e) => errors.push("page error: " + e.message));
		page.on("request", (r) => {
			if (!r.url().startsWith("file:") && !r.url().startsWith("data:"))
				errors.push("network request: " + r.url());
		});
		await page.goto("file://" + html, { waitUntil: "load" });
		await page.waitForSelector("body[data-charts-drawn]", { timeout: 20000 })
			.catch(() => errors.push("report.js did not finish (body[data-charts-drawn] missing)"));

		const headings = await page.$$eval("h2", (hs) => hs.map((h) => h.textContent.trim()));
		for (const s of SECTIONS)
			check(headings.includes(s), "section heading \"" + s + "\"");

		const charts = await page.evaluate(() => {
			const out = [];
			document.querySelectorAll("div.chart").forEach((div) => {
				const title = div.parentElement.querySelector("figcaption").textContent;
				const canvases = div.querySelectorAll("canvas");
				let inked = 0, coloured = 0;
				canvases.forEach((cv) => {
					const px = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
					for (let i = 0; i < px.length; i += 4) {
						const [r, g, b, a] = [px[i], px[i + 1], px[i + 2], px[i + 3]];
						if (a === 0 || (r > 250 && g > 250 && b > 250)) continue;
						inked++;
						/* grid and axes are grey; data is drawn in colour */
						if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
					}
				});
				out.push({ title, canvases: canvases.length, inked, coloured });
			});
			return out;
		});
		check(charts.length > 0, charts.length + " charts on the page");
		for (const c of charts)
			check(c.canvases > 0 && c.inked > 0 && c.coloured > 20,
			      "chart drew: " + c.title + " (" + c.canvases + " canvas, " +
			      c.inked + " inked px, " + c.coloured + " coloured px)");
		const nr = await page.evaluate(() => Number(document.body.getAttribute("data-charts-drawn")));
		check(nr === charts.length, "every chart spec has its <div> (" + nr + " specs)");

		const counts = await page.evaluate(() => {
			const p = document.querySelector("#context p.counts");
			return p ? p.textContent : "";
		});
		check(/^\d+ cells?, \d+( to \d+)? repetitions? \(\d+ runs?\)/.test(counts),
		      "run context counts cells and repetitions (" + counts.split(":")[0] + ")");
		const scripts = await page.evaluate(() => document.scripts.length);
		check(scripts === 3, "exactly 3 <script> elements (" + scripts + ")");
		const pwned = await page.evaluate(() => window.__pwned);
		check(pwned === undefined, "no trace string ran as code (window.__pwned " + pwned + ")");
		const tables = await page.evaluate(() =>
			[...document.querySelectorAll("div.chart")].every((d) =>
				d.parentElement.querySelector("details table")));
		check(tables, "a fallback <table> under every chart");

		for (const e of errors)
			check(false, e);
		if (!errors.length)
			check(true, "no console errors, page errors or network requests");
		await page.screenshot({ path: shot, fullPage: true });
		console.log("screenshot: " + shot);
	} finally {
		await browser.close();
	}
	console.log("browser: " + passed + " passed, " + problems.length + " failed");
	process.exit(problems.length ? 1 : 0);
}

main().catch((e) => {
	console.error("browser test: " + (e && e.stack ? e.stack : e));
	process.exit(1);
});
