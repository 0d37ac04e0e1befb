// The other client: matrix-js-sdk with its Rust crypto (in-memory store,
// AllDevicesIsolationMode set explicitly), one Peer per device.
//
// Import lib/common.mjs first (it routes console.* to the log).

import assert from "node:assert/strict";
import { logLine, makeLogger, waitFor, withTimeout } from "./common.mjs";

const sdk = await import("matrix-js-sdk");
const { ClientEvent, MatrixEvent, MatrixEventEvent } = sdk;
const { AllDevicesIsolationMode } = await import("matrix-js-sdk/lib/crypto-api/index.js");

export const PASSWORD = "correct horse battery staple";
export const ENCRYPTION = { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } };

// Every HTTP exchange of every peer, for the failure report and the
// "only ciphertext" checks.
export const exchanges = [];
function recordingFetch(who) {
    return async (url, init = {}) => {
        const u = new URL(url instanceof Request ? url.url : String(url));
        const rec = {
            who,
            method: (init.method || "GET").toUpperCase(),
            path: u.pathname,
            req: typeof init.body === "string" ? init.body : null,
            status: null,
        };
        exchanges.push(rec);
        try {
            const res = await fetch(url, init);
            rec.status = res.status;
            logLine(`http ${who}`, [`${rec.method} ${rec.path} -> ${rec.status}`]);
            return res;
        } catch (e) {
            rec.status = `network error: ${e.name}: ${e.message}`;
            throw e;
        }
    };
}

// Registers localpart with the UIA m.login.dummy round trip: {userId, token,
// deviceId}; with inhibitLogin, no device (for haos's user: haos logs in
// itself and is then its only device), {userId}.
export async function register(baseUrl, localpart, { password = PASSWORD, inhibitLogin = false } = {}) {
    const tmp = sdk.createClient({ baseUrl, fetchFn: recordingFetch(localpart), logger: makeLogger(localpart) });
    let session;
    try {
        await tmp.registerRequest({ username: localpart, password });
        throw new Error("register without auth succeeded; expected a 401 with a UIA session");
    } catch (e) {
        if (!(e instanceof sdk.MatrixError) || e.httpStatus !== 401) throw e;
        session = e.data.session;
    }
    const r = await tmp.registerRequest({
        username: localpart, password, initial_device_display_name: `${localpart} js-sdk`,
        auth: { type: "m.login.dummy", session },
        ...(inhibitLogin ? { inhibit_login: true } : {}),
    });
    tmp.stopClient();
    return { userId: r.user_id, token: r.access_token, deviceId: r.device_id };
}

// A new device of an existing account (POST /login): {userId, token, deviceId}.
export async function login(baseUrl, userId, name, password = PASSWORD) {
    const tmp = sdk.createClient({ baseUrl, fetchFn: recordingFetch(name), logger: makeLogger(name) });
    const r = await tmp.loginRequest({
        type: "m.login.password", identifier: { type: "m.id.user", user: userId },
        password, initial_device_display_name: `${name} js-sdk`,
    });
    tmp.stopClient();
    return { userId: r.user_id, token: r.access_token, deviceId: r.device_id };
}

export class Peer {
    // name: for the log; creds: {userId, token, deviceId}; cryptoCallbacks:
    // js-sdk's (secret storage keys), or none.
    constructor(baseUrl, name, creds, { cryptoCallbacks } = {}) {
        Object.assign(this, { baseUrl, name, cryptoCallbacks }, creds);
        this.client = null;
        // Decryption failures as they happen: {eventId, roomId, sender, ts, reason}.
        this.failures = [];
    }

    async start() {
        // Messages sent before this device existed were never shared with it.
        this.startedAt = Date.now();
        const client = sdk.createClient({
            baseUrl: this.baseUrl, userId: this.userId, deviceId: this.deviceId,
            accessToken: this.token, fetchFn: recordingFetch(this.name), logger: makeLogger(this.name),
            ...(this.cryptoCallbacks ? { cryptoCallbacks: this.cryptoCallbacks } : {}),
        });
        this.client = client;
        await client.initRustCrypto({ useIndexedDB: false });
        // Share room keys with every device, verified or not (haos's is
        // not cross-signed), and decrypt from any: set explicitly, not left
        // to the SDK's default.
        client.getCrypto().setDeviceIsolationMode(new AllDevicesIsolationMode(false));
        client.on(MatrixEventEvent.Decrypted, (ev) => {
            if (ev.isDecryptionFailure()) {
                const f = { eventId: ev.getId(), roomId: ev.getRoomId(), sender: ev.getSender(),
                    ts: ev.getTs(), reason: ev.decryptionFailureReason };
                this.failures.push(f);
                logLine("test", [`${this.name} cannot decrypt (yet) ${JSON.stringify(f)}`]);
            }
        });
        const prepared = new Promise((resolve, reject) => {
            const onSync = (state, _prev, data) => {
                if (state === "PREPARED" || state === "SYNCING") {
                    client.off(ClientEvent.Sync, onSync);
                    resolve();
                } else if (state === "ERROR") {
                    client.off(ClientEvent.Sync, onSync);
                    reject(new Error(`${this.name}'s first sync failed: ${data?.error?.message ?? "?"}`));
                }
            };
            client.on(ClientEvent.Sync, onSync);
        });
        await client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true });
        await withTimeout(prepared, 20000, `${this.name}'s first sync`);
        return this;
    }

    stop() {
        try { this.client?.stopClient(); } catch { /* ignore */ }
    }

    // An encrypted room (m.room.encryption in initial_state): a DM with
    // is_direct and trusted_private_chat, or a named private room.
    async createEncryptedRoom({ name, invite = [], direct = false }) {
        const r = await this.client.createRoom({
            ...(direct ? { is_direct: true, preset: "trusted_private_chat" } : { name, preset: "private_chat" }),
            invite,
            initial_state: [ENCRYPTION],
        });
        assert.ok(r.room_id, JSON.stringify(r));
        await waitFor(`${this.name} has room ${r.room_id}`, 10000, () => this.client.getRoom(r.room_id));
        return r.room_id;
    }

    async invite(roomId, userId) {
        await this.client.invite(roomId, userId);
    }

    async acceptInvite(roomId) {
        await waitFor(`${this.name} sees the invite to ${roomId}`, 10000,
            () => this.client.getRoom(roomId)?.getMyMembership() === "invite");
        await this.client.joinRoom(roomId);
        await waitFor(`${this.name} joined ${roomId}`, 10000,
            () => this.client.getRoom(roomId)?.getMyMembership() === "join");
        await waitFor(`${this.name}'s crypto knows ${roomId} is encrypted`, 10000,
            () => this.client.getCrypto().isEncryptionEnabledInRoom(roomId));
    }

    async leave(roomId) {
        await this.client.leave(roomId);
        await waitFor(`${this.name} left ${roomId}`, 10000,
            () => this.client.getRoom(roomId)?.getMyMembership() === "leave");
    }

    membership(roomId, userId) {
        return this.client.getRoom(roomId)?.getMember(userId)?.membership;
    }

    async waitMembership(roomId, userId, membership, ms = 15000) {
        await waitFor(`${this.name} sees ${userId} ${membership} in ${roomId}`, ms,
            () => this.membership(roomId, userId) === membership);
    }

    // Until this device's crypto knows all of userId's devices in deviceIds
    // (or any device, without deviceIds).
    async waitDevices(userId, deviceIds = [], ms = 15000) {
        return waitFor(`${this.name} knows ${userId}'s devices ${deviceIds.join(", ") || "(any)"}`, ms, async () => {
            const m = (await this.client.getCrypto().getUserDeviceInfo([userId], true)).get(userId);
            if (!m || !m.size) return null;
            return deviceIds.every((d) => m.has(d)) ? m : null;
        }, { interval: 500 });
    }

    // Sends m.text; the event id.
    async send(roomId, body) {
        const r = await this.client.sendMessage(roomId, { msgtype: "m.text", body });
        logLine("test", [`${this.name} sent ${r.event_id} to ${roomId}`]);
        return r.event_id;
    }

    // Starts a new Megolm session at the next send (the next message needs a new key).
    async newSession(roomId) {
        await this.client.getCrypto().forceDiscardSession(roomId);
    }

    // The events of roomId's live timeline.
    events(roomId) {
        return this.client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
    }

    // Until an event from `sender` in roomId decrypts to an m.room.message
    // with `body`: that MatrixEvent. Its wire type must be m.room.encrypted
    // (a plaintext event in an encrypted room is a failure, not a match).
    async waitBody(roomId, body, { sender, ms = 15000 } = {}) {
        let seen = [];
        return waitFor(`${this.name} decrypts "${body}"${sender ? ` from ${sender}` : ""}`, ms, () => {
            seen = this.events(roomId).filter((e) => !sender || e.getSender() === sender)
                .filter((e) => e.getWireType() === "m.room.encrypted" || e.getType() === "m.room.message");
            for (const e of seen) {
                if (e.getType() !== "m.room.message" || e.getContent().body !== body) continue;
                if (e.isBeingDecrypted() || e.isDecryptionFailure()) continue;
                if (e.getWireType() !== "m.room.encrypted") {
                    const err = new Error(`"${body}" (${e.getId()}) from ${e.getSender()} came ` +
                        `as a plaintext ${e.getWireType()} into an encrypted room`);
                    err.final = true;
                    throw err;
                }
                return e;
            }
            return null;
        }, {
            describe: () => `${this.name} has ${seen.length} message events` +
                `${sender ? ` from ${sender}` : ""} there: ` + seen.slice(-6).map((e) =>
                `${e.getId()} wire ${e.getWireType()} → ${e.getType()}` +
                (e.isDecryptionFailure() ? ` (decryption failure: ${e.decryptionFailureReason})` : "")).join("; "),
        });
    }

    // Tries to decrypt a copy of a raw (wire) event as this device: the
    // MatrixEvent after the attempt.
    async tryDecrypt(wireEvent) {
        const ev = new MatrixEvent(structuredClone(wireEvent));
        await this.client.decryptEventIfNeeded(ev);
        return ev;
    }
}

// The Megolm session id an event was encrypted with.
export function sessionId(ev) {
    return ev.getWireContent().session_id;
}

// The event as it came from the server (ciphertext).
export function wireEvent(ev) {
    return structuredClone(ev.event);
}
