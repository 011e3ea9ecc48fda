// Second half of the golden generator (see generate.sh): signs copies of the golden containers with the
// well-known //Alice dev key and adds the signature-class malformed files. sr25519 signatures are
// randomised, so tests verify these files rather than compare their bytes.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { readContainerHeader, signContainer, signingMessage } from "../../ts/container/index.js";

const dir = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const manifestPath = path.join(dir, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
await cryptoWaitReady();
const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
const alice = keyring.addFromUri(manifest.signer.uri);
const bob = keyring.addFromUri("//Bob");
if (alice.address !== manifest.signer.address) throw new Error(`signer address ${alice.address} != manifest ${manifest.signer.address}`);

for (const base of ["kv_bf16", "kv_int8", "soft_tokens_bf16"]) {
  const src = manifest.valid.find((v: { file: string }) => v.file === `${base}.safetensors`);
  const file = `${base}_signed.safetensors`;
  copyFileSync(path.join(dir, src.file), path.join(dir, file));
  const h = await signContainer(path.join(dir, file), alice);
  manifest.valid.push({
    ...src,
    file,
    signed: true,
    file_sha256: null,
    metadata: { ...src.metadata, signature: null },
    signing_message: Buffer.from(signingMessage(h.meta, h.tensors)).toString("utf8"),
  });
}

function patch(name: string, why: string, edit: (buf: Buffer, sigAt: number) => void, from = "kv_bf16_signed.safetensors") {
  const buf = readFileSync(path.join(dir, from));
  return { buf, name, why, edit };
}
const signedHeader = await readContainerHeader(path.join(dir, "kv_bf16_signed.safetensors"));
const cases = [
  patch("signature_flipped.safetensors", "one signature hex digit changed", (buf, at) => {
    buf[at + 10] = buf[at + 10] === 0x30 ? 0x31 : 0x30;
  }),
  patch("signed_then_edited.safetensors", "algorithm knorm -> kvzip after signing (same length)", (buf) => {
    const at = buf.indexOf('"algorithm":"knorm"');
    buf.write('"algorithm":"kvzip"', at, "ascii");
  }),
  patch("signed_by_other_key.safetensors", "a valid //Bob signature on a container naming //Alice", (buf, at) => {
    buf.write(Buffer.from(bob.sign(signingMessage(signedHeader.meta, signedHeader.tensors))).toString("hex"), at, "ascii");
  }),
];
for (const c of cases) {
  c.edit(c.buf, signedHeader.signatureOffset);
  writeFileSync(path.join(dir, "malformed", c.name), c.buf);
  manifest.malformed.push({ file: `malformed/${c.name}`, ts: "BAD_SIGNATURE", py: "ok", why: c.why, verify_signature: true });
}
manifest.malformed.push({
  file: "kv_bf16.safetensors",
  ts: "UNSIGNED",
  py: "ok",
  why: "the unsigned golden file checked for a signature",
  verify_signature: true,
});
writeFileSync(manifestPath, JSON.stringify(manifest, null, 1) + "\n");
console.log(`signed 3 golden files and added ${cases.length + 1} signature cases in ${dir}`);
