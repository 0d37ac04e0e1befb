// Issue #17: an encrypted attachment from matrix-js-sdk, downloaded and
// decrypted by haos (E2EE.md Step 12), haos's side read off its screen.
//
//   (a) alice (js-sdk) encrypts a file as the spec says (AES-256-CTR, a
//       random key, an IV whose counter half is zero, the SHA-256 of the
//       ciphertext; node's crypto, as Element's matrix-encrypt-attachment
//       does it in the browser), uploads the ciphertext with js-sdk's
//       uploadContent and sends the m.file with its `file` object into an
//       encrypted room (Megolm by js-sdk); haos shows it, and selection o
//       saves the decrypted file (no display: "saved to PATH"), the same
//       bytes
//   (b) the same key with a `file` object promising another hash: haos
//       refuses it ("the file's hash does not match: refused") and keeps
//       no file
//   (c) the upload direction: haos's /upload into the encrypted room;
//       js-sdk decrypts the event (m.file with `file`, never `url`),
//       downloads the ciphertext, checks its SHA-256 against the file
//       object's and decrypts it with the JWK and IV (node's AES-CTR) to
//       the very bytes of haos's file; the server never saw them in clear
//   (d) an encrypted m.image (a small PNG, no thumbnail_file): haos's
//       preview downloads and decrypts it and draws block symbols under
//       its label; its info.thumbnail_file when there is one
//
//   ./run.sh attachment.test.mjs

import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Homeserver, ROOT, makeStepper, makeWork, setLogFile, waitFor } from "./lib/common.mjs";
import { PASSWORD, Peer, register } from "./lib/peer.mjs";
import { Haos } from "./lib/haos.mjs";

const work = makeWork("attachment");
setLogFile(work.log);
const hs = new Homeserver(work);
let haos = null;
let alice = null;
const st = makeStepper({ work, hs: () => hs, haos: () => haos });
const step = st.step;

const b64 = (b) => b.toString("base64").replace(/=+$/, "");
const b64url = (b) => b.toString("base64url").replace(/=+$/, "");

// The spec's v2 encryption of plain: {ciphertext, file (without url)}.
function encryptAttachment(plain) {
    const key = randomBytes(32);
    const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
    const c = createCipheriv("aes-256-ctr", key, iv);
    const ciphertext = Buffer.concat([c.update(plain), c.final()]);
    return {
        ciphertext,
        file: {
            key: { kty: "oct", key_ops: ["encrypt", "decrypt"], alg: "A256CTR", k: b64url(key), ext: true },
            iv: b64(iv),
            hashes: { sha256: b64(createHash("sha256").update(ciphertext).digest()) },
            v: "v2",
        },
    };
}

describe("haos downloads js-sdk's encrypted attachments (issue #17)", { timeout: 240000 }, () => {
    let hana, room, dl;
    const plain = Buffer.concat([Buffer.from("js-sdk attachment ✓ 日本語\n"), randomBytes(200000)]);

    before(async () => { await hs.start(); });
    after(async () => {
        alice?.stop();
        haos?.stop();
        await hs.stop();
        st.cleanup();
    });

    step("setup: alice on js-sdk, haos as hana, an encrypted room with both", 90000, async () => {
        alice = await new Peer(hs.url, "alice", await register(hs.url, "alice")).start();
        hana = await register(hs.url, "hana", { inhibitLogin: true });
        haos = new Haos(work, hs.url, hana.userId, PASSWORD);
        delete haos.env.DISPLAY;
        delete haos.env.WAYLAND_DISPLAY;
        dl = path.join(haos.env.HOME, "Downloads");
        haos.login();
        await haos.start();
        room = await alice.createEncryptedRoom({ name: "files", invite: [hana.userId] });
        await haos.waitText("files", 20000);
        haos.line("/accept files");
        await haos.waitText("joined files", 20000);
        await alice.waitMembership(room, hana.userId, "join");
        await alice.waitDevices(hana.userId);
    }, { fatal: true });

    step("(a) js-sdk's encrypted m.file: haos saves the decrypted bytes", 60000, async () => {
        const { ciphertext, file } = encryptAttachment(plain);
        const up = await alice.client.uploadContent(ciphertext,
            { type: "application/octet-stream", name: "encrypted" });
        const ev = await alice.client.sendMessage(room, {
            msgtype: "m.file", body: "report.bin",
            info: { size: plain.length, mimetype: "application/octet-stream" },
            file: { url: up.content_uri, ...file },
        });
        const wire = alice.client.getRoom(room).findEventById(ev.event_id);
        assert.equal(wire?.getWireType(), "m.room.encrypted", "js-sdk sent it in clear");
        await haos.goto("files");
        await haos.waitText("[file: report.bin, 195 KB]", 30000);
        haos.keys("M-s");
        await haos.waitText("SELECT:", 5000);
        haos.keys("o");
        await haos.waitText(`saved to ${dl}/report.bin`, 30000);
        assert.ok(readFileSync(path.join(dl, "report.bin")).equals(plain),
            "haos's file is not alice's plaintext");
        haos.keys("Escape");
    }, { fatal: true });

    step("(b) a file object with another hash: refused, no file kept", 60000, async () => {
        const { ciphertext, file } = encryptAttachment(plain);
        const other = encryptAttachment(Buffer.from("something else"));
        const up = await alice.client.uploadContent(ciphertext,
            { type: "application/octet-stream", name: "encrypted" });
        await alice.client.sendMessage(room, {
            msgtype: "m.file", body: "forged.bin", info: { size: plain.length },
            file: { url: up.content_uri, ...file, hashes: other.file.hashes },
        });
        await haos.waitText("[file: forged.bin", 30000);
        haos.keys("M-s");
        await haos.waitText("SELECT:", 5000);
        haos.keys("o");
        await haos.waitText("the file's hash does not match: refused", 30000);
        assert.deepEqual(readdirSync(dl).sort(), ["report.bin"], "a file was kept");
        assert.ok(!existsSync(path.join(dl, "forged.bin")));
        const log = haos.log();
        assert.ok(!log.includes(file.key.k), "the file's key is in haos's log");
    });

    step("(c) haos's /upload: js-sdk decrypts the event and the file", 90000, async () => {
        const sent = Buffer.concat([Buffer.from("from haos, sealed ✓\n"), randomBytes(150000)]);
        const src = path.join(haos.env.HOME, "from haos.bin");
        writeFileSync(src, sent);
        haos.keys("Escape");	// (b) left its message selected
        await haos.waitGone("SELECT:", 5000);
        haos.line(`/upload "${src}"`);
        const ev = await alice.waitBody(room, "from haos.bin", { sender: hana.userId, ms: 60000 });
        const c = ev.getContent();
        assert.equal(c.msgtype, "m.file");
        assert.equal(c.url, undefined, "an encrypted room's attachment has a url");
        assert.equal(c.info?.size, sent.length);
        assert.equal(c.info?.mimetype, "application/octet-stream");
        const f = c.file;
        assert.equal(f?.v, "v2");
        assert.equal(f.key.alg, "A256CTR");
        assert.equal(f.key.kty, "oct");
        assert.equal(f.key.ext, true);
        const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(f.url);
        const res = await fetch(`${hs.url}/_matrix/client/v1/media/download/${server}/${id}`,
            { headers: { Authorization: `Bearer ${alice.client.getAccessToken()}` } });
        assert.equal(res.status, 200);
        const ciphertext = Buffer.from(await res.arrayBuffer());
        assert.equal(ciphertext.length, sent.length);
        assert.ok(!ciphertext.equals(sent), "the server holds the file in clear");
        assert.equal(b64(createHash("sha256").update(ciphertext).digest()),
            f.hashes.sha256.replace(/=+$/, ""), "the file's hash does not match");
        const d = createDecipheriv("aes-256-ctr", Buffer.from(f.key.k, "base64url"),
            Buffer.from(f.iv, "base64"));
        const plainOut = Buffer.concat([d.update(ciphertext), d.final()]);
        assert.ok(plainOut.equals(sent), "js-sdk's decryption is not haos's file");
        assert.ok(!haos.log().includes(f.key.k), "the file's key is in haos's log");
    });

    // The symbols (U+2580-U+259F) in the lines under the label.
    const symbolsUnder = (screen, label) => {
        const lines = screen.split("\n");
        const at = lines.findIndex((l) => l.includes(label));
        if (at < 0)
            return 0;
        return [...lines.slice(at + 1, at + 9).join("")]
            .filter((ch) => ch >= "\u2580" && ch <= "\u259f").length;
    };

    step("(d) js-sdk's encrypted m.image: a preview of the decrypted image", 60000, async () => {
        const png = readFileSync(path.join(ROOT, "tests/fixtures/image/good.png"));
        const sent = async (name, thumb) => {
            const { ciphertext, file } = encryptAttachment(png);
            const up = await alice.client.uploadContent(ciphertext,
                { type: "application/octet-stream", name: "encrypted" });
            const info = { size: png.length, mimetype: "image/png", w: 64, h: 32 };
            if (thumb)
                info.thumbnail_file = { url: up.content_uri, ...file };
            await alice.client.sendMessage(room, {
                msgtype: "m.image", body: name,
                info: thumb ? { ...info, size: 50 << 20 } : info,
                file: { url: up.content_uri, ...file },
            });
        };
        await sent("sealed.png", false);
        await haos.waitText("[image: sealed.png", 30000);
        await waitFor("symbols under sealed.png", 20000,
            () => symbolsUnder(haos.screen(), "[image: sealed.png") >= 20);
        // 50 MB by its info, but a thumbnail_file: that is drawn.
        await sent("big.png", true);
        await haos.waitText("[image: big.png", 30000);
        await waitFor("symbols under big.png", 20000,
            () => symbolsUnder(haos.screen(), "[image: big.png") >= 20);
        assert.ok(!haos.screen().includes("preview unavailable"),
            "a placeholder instead of a preview");
    });
});
