// Shared by the interop tests: the work dir and its log, the test homeserver
// process and its /_test hooks, timeouts, and the step runner that prints
// haos's screen, its log and the server's last requests when a step fails.
//
// Import this module before matrix-js-sdk: it sends console.* to the log,
// and the SDK's logger binds the console methods when it is loaded.

import { it } from "node:test";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, writeFileSync, appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";

export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(HERE, "..", "..");
export const SERVER_SCRIPT = process.env.HAOS_INTEROP_SERVER ||
    path.join(ROOT, "tests", "homeserver", "server.py");
export const SERVER_NAME = "haos.test";
const VERBOSE = !!process.env.HAOS_INTEROP_VERBOSE;

// ---------------------------------------------------------------------------
// Work dir and log.

export function makeWork(name) {
    const dir = mkdtempSync(path.join(tmpdir(), `haos-interop-${name}-`));
    const log = path.join(dir, "log.txt");
    writeFileSync(log, "");
    return { dir, log };
}

let logFile = null;
export function setLogFile(f) { logFile = f; }

export function logLine(tag, args) {
    const line = `${new Date().toISOString().slice(11, 23)} [${tag}] ${format(...args)}`;
    if (logFile) {
        try { appendFileSync(logFile, line + "\n"); } catch { /* removed after a green run */ }
    }
    if (VERBOSE) process.stderr.write(line + "\n");
}
for (const level of ["log", "debug", "info", "warn", "error", "trace"]) {
    console[level] = (...args) => logLine(level, args);
}

export function makeLogger(name) {
    const mk = (prefix) => {
        const l = {};
        for (const level of ["trace", "debug", "info", "warn", "error"]) {
            l[level] = (...args) => logLine(`${prefix} ${level}`, args);
        }
        l.getChild = (ns) => mk(`${prefix}${ns}`);
        return l;
    };
    return mk(name);
}

// ---------------------------------------------------------------------------
// Timeouts.

export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor(what, ms, fn): fn's first truthy value, polled; throws with `what`
// (and fn's last error, or what describe() says) after ms.  An error fn
// throws with .final set ends the wait at once.
export async function waitFor(what, ms, fn, { interval = 150, describe } = {}) {
    const deadline = Date.now() + ms;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v) return v;
        } catch (e) {
            if (e.final) throw e;
            last = e;
        }
        if (Date.now() > deadline) {
            let extra = last ? ` (last error: ${last.message})` : "";
            if (describe) {
                try { extra += ` — ${await describe()}`; } catch { /* best effort */ }
            }
            throw new Error(`timed out after ${ms} ms waiting for ${what}${extra}`);
        }
        await sleep(interval);
    }
}

// ---------------------------------------------------------------------------
// The test homeserver.

export class Homeserver {
    constructor(work) {
        this.work = work;
        this.proc = null;
        this.url = null;
        this.stderr = [];
    }

    async start() {
        const proc = spawn("python3", [SERVER_SCRIPT, "--port", "0", "--server-name", SERVER_NAME,
            "--data", path.join(this.work.dir, "hs-data")], { stdio: ["ignore", "pipe", "pipe"] });
        this.proc = proc;
        proc.stderr.setEncoding("utf8");
        proc.stderr.on("data", (d) => {
            for (const line of d.split("\n")) if (line) {
                this.stderr.push(line);
                logLine("server", [line]);
            }
        });
        const rl = createInterface({ input: proc.stdout });
        const first = await withTimeout(new Promise((resolve, reject) => {
            rl.once("line", resolve);
            proc.once("exit", (code, sig) => setTimeout(() => reject(new Error(
                `server exited (${code ?? sig}) before printing its address; stderr:\n  ` +
                this.stderr.slice(-20).join("\n  "))), 100));
            proc.once("error", reject);
        }), 15000, "server start (first stdout line)");
        rl.on("line", (l) => logLine("server-out", [l]));
        const m = /listening on (http:\/\/\S+)/.exec(first);
        if (!m) throw new Error(`unexpected first line from server: ${JSON.stringify(first)}`);
        this.url = m[1].replace(/\/$/, "");
        process.on("exit", () => { try { proc.kill("SIGKILL"); } catch { /* gone */ } });
        logLine("test", [`server at ${this.url}, work dir ${this.work.dir}`]);
    }

    async stop() {
        const proc = this.proc;
        this.proc = null;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
    }

    // api(token, method, path, body): {status, json, text}.
    async api(token, method, p, body) {
        const res = await fetch(this.url + p, {
            method,
            headers: {
                ...(token ? { Authorization: `Bearer ${token}` } : {}),
                ...(body ? { "Content-Type": "application/json" } : {}),
            },
            body: body ? JSON.stringify(body) : undefined,
        });
        const text = await res.text();
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        return { status: res.status, json, text };
    }

    // The server's request log (GET /_test/requests), every page after seq `since`.
    async requests(since = 0) {
        const all = [];
        let next = since;
        for (let i = 0; i < 1000; i++) {
            const r = await this.api(null, "GET", `/_test/requests?since=${next}`);
            if (r.status !== 200) throw new Error(`GET /_test/requests -> ${r.status} ${r.text}`);
            all.push(...r.json.requests);
            if (!r.json.requests.length || r.json.next === next) break;
            next = r.json.next;
        }
        return all;
    }

    async requestSeq() {
        const r = await this.api(null, "GET", `/_test/requests?since=${2 ** 50}`);
        return r.json?.next ?? 0;
    }

    // Hold (or deliver) a device's incoming to-device messages: POST /_test/to_device.
    async holdToDevice(userId, deviceId, hold) {
        const r = await this.api(null, "POST", "/_test/to_device",
            { user_id: userId, device_id: deviceId, hold });
        if (r.status !== 200) {
            throw new Error(`POST /_test/to_device -> ${r.status} ${r.text} ` +
                "(tests/homeserver/server.py needs the to-device hold hook)");
        }
        return r.json;
    }
}

export function fmtRequest(r) {
    const body = r.body === undefined || r.body === null ? "" : JSON.stringify(r.body);
    return `  #${r.seq} ${r.user ?? "-"}/${r.device ?? "-"}: ${r.method} ${r.path}` +
        `${r.query ? "?" + String(r.query).slice(0, 120) : ""}` +
        ` -> ${r.status}${body && body !== "{}" ? "\n      " + body.slice(0, 400) : ""}`;
}

// ---------------------------------------------------------------------------
// Steps: one `it` each, with a timeout. A failing step marked `fatal` (setup)
// skips the rest; a failing scenario does not, so that one run shows every
// scenario's outcome. On failure: haos's screen and log, the server's
// requests during the step, and where the full log is.

export function makeStepper({ work, hs, haos }) {
    const st = { fatal: null, failed: [], passed: 0, total: 0 };
    st.step = (name, ms, fn, { fatal = false, needs = [] } = {}) => {
        st.total++;
        it(name, { timeout: ms + 5000 }, async (t) => {
            if (st.fatal) return t.skip(`setup step failed: ${st.fatal}`);
            const missing = needs.filter((n) => st.failed.includes(n));
            if (missing.length) return t.skip(`needs: ${missing.join(", ")}`);
            let seq = 0;
            try { seq = hs().proc ? await hs().requestSeq() : 0; } catch { /* no server yet */ }
            logLine("test", [`=== step: ${name}`]);
            try {
                await withTimeout(Promise.resolve().then(fn), ms, name);
                st.passed++;
            } catch (e) {
                if (fatal) st.fatal = name;
                st.failed.push(name);
                const parts = [`${e.name}: ${e.message}`];
                const h = haos?.();
                if (h) {
                    parts.push("haos's screen:\n" + await h.screenOrWhy());
                    parts.push("haos's log (last 40 lines):\n" + h.logTail(40));
                }
                try {
                    const reqs = hs().proc ? await hs().requests(seq) : [];
                    parts.push(`the server's last requests during this step (${reqs.length} in all):\n` +
                        (reqs.length ? reqs.filter((r) => !/\/sync$/.test(r.path) || r.status !== 200)
                            .slice(-25).map(fmtRequest).join("\n") : "  (none)"));
                } catch (e2) {
                    parts.push(`(no request log: ${e2.message})`);
                }
                const errs = hs().stderr.filter((l) => /error|exception|traceback/i.test(l)).slice(-10);
                if (errs.length) parts.push("server stderr (errors):\n  " + errs.join("\n  "));
                parts.push(`full log (SDK, crypto, HTTP, server, haos): ${work.log}; work dir ${work.dir}`);
                const msg = parts.join("\n\n");
                logLine("test", [`step failed: ${name}\n${msg}`]);
                const err = new Error(msg, { cause: e });
                err.stack = msg + "\n" + String(e.stack || "").split("\n")
                    .filter((l) => /^\s+at /.test(l)).slice(0, 6).join("\n");
                throw err;
            }
        });
    };
    st.green = () => st.passed === st.total;
    st.cleanup = () => {
        if (st.green() && !process.env.HAOS_INTEROP_KEEP) {
            rmSync(work.dir, { recursive: true, force: true });
        }
    };
    return st;
}
