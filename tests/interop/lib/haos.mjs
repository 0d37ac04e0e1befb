// Drives haos: its config and session (as tests/e2e/lib.sh writes them),
// the client in a detached tmux session on a socket of its own, its screen,
// keys, SIGKILL and restart, and `haos run`.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { ROOT, logLine, sleep, waitFor } from "./common.mjs";

export const HAOS_BIN = process.env.HAOS_BIN || path.join(ROOT, "haos");

export class Haos {
    // work: {dir}; hsUrl; userId, password of an account that exists.
    constructor(work, hsUrl, userId, password) {
        this.dir = path.join(work.dir, "haos");
        Object.assign(this, { hsUrl, userId, password });
        this.sock = `haosinterop${process.pid}${Math.floor(Math.random() * 1e6)}`;
        this.started = false;
        this.cols = 200;
        this.rows = 50;
        const d = (x) => path.join(this.dir, x);
        this.env = {
            PATH: process.env.PATH, TERM: "tmux-256color", LANG: "C.UTF-8", LC_ALL: "C.UTF-8",
            HOME: d("home"), XDG_CONFIG_HOME: d("config"), XDG_DATA_HOME: d("data"),
            XDG_STATE_HOME: d("state"),
        };
        this.cfg = d("config.ini");
        this.pidFile = d("haos.pid");
        for (const x of ["home", "config", "data", "state"]) mkdirSync(d(x), { recursive: true, mode: 0o700 });
    }

    // The config (password in it, as the e2e tests do) and `haos login`.
    login() {
        // The log at its most talkative: what it must never say is checked.
        writeFileSync(this.cfg, `[account]\nuser = ${this.userId}\nhomeserver = ${this.hsUrl}\n` +
            `password = ${this.password}\n\n[log]\nlevel = debug\n`, { mode: 0o600 });
        const r = spawnSync(HAOS_BIN, ["--config", this.cfg, "login"],
            { env: this.env, input: "", encoding: "utf8", timeout: 30000 });
        logLine("haos", [`login -> ${r.status} ${r.stdout.trim()} ${r.stderr.trim()}`]);
        if (r.status !== 0) throw new Error(`haos login failed (${r.status ?? r.signal}): ${r.stderr}`);
    }

    tmux(...args) {
        const r = spawnSync("tmux", ["-u", "-L", this.sock, "-f", "/dev/null", ...args],
            { env: { ...this.env, TMUX: "" }, encoding: "utf8", timeout: 10000 });
        if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr || r.error}`);
        return r.stdout;
    }

    // The shell command of the pane: haos's pid in a file (for SIGKILL),
    // then a mark when it exits, so that the screen stays readable.
    paneCommand() {
        const env = Object.entries(this.env).filter(([k]) => k !== "PATH")
            .map(([k, v]) => `${k}=${v}`).join(" ");
        return `sh -c 'echo $$ >${this.pidFile}; exec env ${env} ${HAOS_BIN} --config ${this.cfg}'; ` +
            "echo HAOS-EXITED $?; sleep 600";
    }

    // Starts the client and waits until it says it is connected.
    async start(ms = 30000) {
        this.tmux("new-session", "-d", "-s", "h", "-x", String(this.cols), "-y", String(this.rows),
            this.paneCommand());
        this.started = true;
        await this.waitRunning();
        await this.waitText("connected", ms);
    }

    async waitRunning() {
        await waitFor("haos's pid file", 5000, () => {
            const pid = this.pid();
            return pid && this.alive(pid);
        });
    }

    pid() {
        try { return Number(readFileSync(this.pidFile, "utf8").trim()) || null; } catch { return null; }
    }

    alive(pid) {
        try { process.kill(pid, 0); return true; } catch { return false; }
    }

    // SIGKILL: no chance to flush or close anything.
    async kill9() {
        const pid = this.pid();
        if (!pid || !this.alive(pid)) throw new Error("haos is not running");
        process.kill(pid, "SIGKILL");
        await this.waitText("HAOS-EXITED 137", 5000);
        logLine("haos", [`killed ${pid} with SIGKILL`]);
    }

    // The client again in the same pane, after it exited.
    async restart(ms = 30000) {
        writeFileSync(this.pidFile, "");
        this.tmux("respawn-pane", "-k", "-t", "h", `clear; ${this.paneCommand()}`);
        await this.waitRunning();
        await this.waitText("connected", ms);
    }

    // /quit, and wait until it exited (the profile lock is free for `haos run`).
    async quit() {
        this.line("/quit");
        await this.waitText("HAOS-EXITED", 10000);
    }

    stop() {
        if (!this.started) return;
        this.started = false;
        try {
            const pid = this.pid();
            if (pid && this.alive(pid)) process.kill(pid, "SIGKILL");
        } catch { /* gone */ }
        try { this.tmux("kill-server"); } catch { /* gone */ }
    }

    screen() {
        return this.tmux("capture-pane", "-p", "-t", "h");
    }

    async screenOrWhy() {
        if (!this.started) return "  (haos not started)";
        try {
            // Without the blank rows of empty panes.
            return this.screen().split("\n").map((l) => l.trimEnd())
                .filter((l) => /[^\s│]/.test(l)).join("\n");
        } catch (e) {
            return `  (no screen: ${e.message})`;
        }
    }

    keys(...keys) {
        this.tmux("send-keys", "-t", "h", ...keys);
    }

    // Types text literally (no key names) and presses Enter.
    line(text) {
        this.tmux("send-keys", "-t", "h", "-l", text);
        this.tmux("send-keys", "-t", "h", "Enter");
    }

    // Until the screen shows text (a fixed string): the screen.
    async waitText(text, ms = 15000) {
        let last = "";
        return waitFor(`haos's screen to show "${text}"`, ms, () => {
            last = this.screen();
            return last.includes(text) ? last : null;
        }, { interval: 150 });
    }

    // Until the screen matches re: the screen.
    async waitMatch(re, ms = 15000) {
        return waitFor(`haos's screen to match ${re}`, ms, () => {
            const s = this.screen();
            return re.test(s) ? s : null;
        }, { interval: 150 });
    }

    async waitGone(text, ms = 15000) {
        await waitFor(`haos's screen no longer showing "${text}"`, ms, () => !this.screen().includes(text));
    }

    // Selects a room by the name its list shows (/goto) and waits for the
    // header: "... > name" (a conversation) or "... > # name" (a room).
    async goto(name) {
        this.line(`/goto ${name}`);
        await waitFor(`haos's header "> ${name}" or "> # ${name}"`, 10000, () => {
            const top = this.screen().split("\n").slice(0, 2).join("\n");
            return top.includes(`> ${name}`) || top.includes(`> # ${name}`);
        });
        await sleep(200);
    }

    // `haos run ARGS...` (the client must not be running: one haos per profile).
    // input: what standard input gives (a recovery key, a passphrase).
    run(args, ms = 60000, input = "") {
        const r = spawnSync(HAOS_BIN, ["--config", this.cfg, "run", ...args],
            { env: this.env, input, encoding: "utf8", timeout: ms });
        logLine("haos", [`run ${JSON.stringify(args)} -> ${r.status ?? r.signal}: ` +
            `stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr)}`]);
        return r;
    }

    // haos's log file ($XDG_STATE_HOME/haos/*.log), or "" before it has one.
    log() {
        const dir = path.join(this.env.XDG_STATE_HOME, "haos");
        if (!existsSync(dir)) return "";
        return readdirSync(dir).filter((f) => f.endsWith(".log"))
            .map((f) => readFileSync(path.join(dir, f), "utf8")).join("");
    }

    // The access token of haos's session file (under XDG_DATA_HOME).
    accessToken() {
        const walk = (dir) => {
            for (const e of readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) {
                    const t = walk(p);
                    if (t) return t;
                } else if (e.name === "session.json") {
                    return JSON.parse(readFileSync(p, "utf8")).access_token;
                }
            }
            return null;
        };
        return walk(this.env.XDG_DATA_HOME);
    }

    logTail(n) {
        const lines = this.log().split("\n");
        return lines.slice(-n - 1).join("\n") || "  (empty)";
    }
}
