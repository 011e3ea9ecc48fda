// Public wallet API: btcli wallet directories, keyfiles, $NACL coldkeys, sr25519 keypairs.
export { Keypair, KeyError, DEV_PHRASE, SS58_PREFIX, canonicalToEd25519Secret, ed25519ToCanonicalSecret } from "./keypair.js";
export { Wallet, WalletError, loadKeyfile, expandHome, DEFAULT_WALLET_PATH, type WalletOptions, type LoadedKey } from "./wallet.js";
export { keypairFromKeyfile, keyfileJson, publicKeyfileJson, parseKeyfileJson, KeyfileFormatError, type KeyfileData, type KeySource } from "./keyfile.js";
export { decryptNacl, encryptNacl, isNaclEncrypted, KeyfileDecryptionError, NACL_PREFIX } from "./nacl.js";
export { passwordEnvName, encodeEnvPassword, decodeEnvPassword, passwordFromEnv, promptPassword, PasswordUnavailableError, WALLET_PASSWORD_ENV, readPasswordFile, promptNewPassword } from "./password.js";
export { listWallets, describeWallet, type WalletInfo, type KeyInfo, type HotkeyInfo } from "./list.js";
