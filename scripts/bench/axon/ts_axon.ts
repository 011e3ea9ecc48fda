// Our axon as a separate process for the axon benchmark: same trivial handler and blacklist as the Python peer
// (test/interop/py/peer_axon.py). Usage: tsx ts_axon.ts PORT HOTKEY_URI; prints READY; exits on stdin EOF.
import { Axon } from "../../../ts/axon/index.js";
import { TextCompressProtocol, cryptoReady } from "../../../ts/bittensor/index.js";
import { Keypair } from "../../../ts/wallet/index.js";

const [portArg, uri] = process.argv.slice(2);
await cryptoReady();
const deny = Keypair.fromUri("//Eve").address;
const axon = new Axon({ wallet: Keypair.fromUri(uri ?? "//Bob"), port: Number(portArg), ip: "127.0.0.1" });
axon.attach(TextCompressProtocol, {
  blacklist: ({ hotkey }) => (hotkey === deny ? { blocked: true, reason: "unknown hotkey" } : { blocked: false }),
  forward: (s, ctx) => ({ compressed_context: `${ctx.hotkey}:${s.context.toUpperCase()}` }),
});
await axon.start();
process.stdout.write("READY\n");
process.stdin.resume();
process.stdin.on("end", () => void axon.stop().then(() => process.exit(0)));
