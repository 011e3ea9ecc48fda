// The neuron's hotkey: injected (tests, localnet) or read from the btcli wallet folder.
import { Keypair } from "../wallet/keypair.js";
import { KeyfileFormatError } from "../wallet/keyfile.js";
import { KeyfileDecryptionError } from "../wallet/nacl.js";
import { PasswordUnavailableError } from "../wallet/password.js";
import { Wallet, WalletError } from "../wallet/wallet.js";
import { StartupError } from "./errors.js";

export interface WalletConfig {
  name: string;
  hotkey: string;
  path: string;
}

export async function loadHotkey(wallet: WalletConfig, injected?: Keypair): Promise<Keypair> {
  if (injected) return injected;
  try {
    return (await new Wallet({ name: wallet.name, hotkey: wallet.hotkey, path: wallet.path }).hotkey()).keypair;
  } catch (e) {
    if (e instanceof WalletError || e instanceof KeyfileFormatError || e instanceof KeyfileDecryptionError || e instanceof PasswordUnavailableError)
      throw new StartupError(e.message, `check --wallet.name, --wallet.hotkey and --wallet.path (wallet ${wallet.name}, hotkey ${wallet.hotkey} under ${wallet.path}), or create the hotkey with btcli`, "wallet", { cause: e });
    throw e;
  }
}
