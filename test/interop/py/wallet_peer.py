"""btwallet (bittensor-wallet, shipped with bittensor 10.5.0) as the reference for keyfiles.

make DIR PASSWORD      -> creates wallet py/hk (coldkey $NACL-encrypted), plus hotkeys/hk_pk: the same hotkey with
                          only privateKey/publicKey (btwallet's canonical secret format); prints JSON facts.
read DIR NAME HOTKEY PASSWORD MESSAGE -> loads a wallet written by the TS side, decrypts its coldkey, prints the
                          ss58 addresses and the hotkey's signature of MESSAGE.
"""
import json
import os
import sys

import bittensor_wallet as bw

mode = sys.argv[1]
if mode == "make":
    d, password = sys.argv[2], sys.argv[3]
    w = bw.Wallet(name="py", hotkey="hk", path=d)
    w.create_new_coldkey(n_words=12, use_password=True, overwrite=True, suppress=True, save_coldkey_to_env=False, coldkey_password=password)
    w.create_new_hotkey(n_words=12, use_password=False, overwrite=True, suppress=True)
    hk_path = os.path.join(d, "py", "hotkeys", "hk")
    data = json.load(open(hk_path))
    pk_only = {k: data[k] for k in ("accountId", "publicKey", "privateKey", "ss58Address")}
    with open(hk_path + "_pk", "w") as f:
        json.dump(pk_only, f)
    os.chmod(hk_path + "_pk", 0o600)
    env_name = w.coldkey_file.env_var_name()
    env_value = w.coldkey_file.save_password_to_env(password)
    print(json.dumps({
        "coldkey": w.coldkeypub.ss58_address,
        "hotkey": w.hotkey.ss58_address,
        "env_name": env_name,
        "env_value": env_value,
        "signature": "0x" + w.hotkey.sign("condense interop").hex(),
    }))
elif mode == "read":
    d, name, hotkey, password, message = sys.argv[2:7]
    w = bw.Wallet(name=name, hotkey=hotkey, path=d)
    cold = w.coldkey_file.get_keypair(password=password)
    hot = w.hotkey
    print(json.dumps({
        "coldkey": cold.ss58_address,
        "coldkeypub": w.coldkeypub.ss58_address,
        "hotkey": hot.ss58_address,
        "signature": "0x" + hot.sign(message).hex(),
        "verifies_ts_signature": None,
    }))
else:
    sys.exit(f"unknown mode {mode}")
