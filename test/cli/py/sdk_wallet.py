"""The official wallet (bittensor_wallet, from bittensor 10.5.0 in .venv-bt) as the judge of `condense wallet` files.

read DIR NAME HOTKEY [PASSWORD] -> loads the wallet (decrypting the coldkey with PASSWORD when given) and prints
                                   the ss58 addresses of coldkey, coldkeypub and hotkey as JSON
address                         -> the ss58 addresses of the mnemonics on stdin, one a line
make DIR NAME HOTKEY...         -> creates an unencrypted wallet with these hotkeys; prints their addresses as JSON
"""
import json
import sys

import bittensor_wallet as bw

mode = sys.argv[1]
if mode == "read":
    d, name, hotkey = sys.argv[2:5]
    password = sys.argv[5] if len(sys.argv) > 5 else None
    w = bw.Wallet(name=name, hotkey=hotkey, path=d)
    out = {"coldkeypub": w.coldkeypub.ss58_address}
    if w.hotkey_file.exists_on_device():
        out["hotkey"] = w.hotkey.ss58_address
    if w.coldkey_file.exists_on_device():
        out["coldkey"] = w.coldkey_file.get_keypair(password=password).ss58_address
        out["coldkey_encrypted"] = w.coldkey_file.is_encrypted()
    print(json.dumps(out))
elif mode == "address":
    lines = [l.strip() for l in sys.stdin.read().splitlines() if l.strip()]
    print(json.dumps({"addresses": [bw.Keypair.create_from_mnemonic(l).ss58_address for l in lines]}))
elif mode == "make":
    d, name, hotkeys = sys.argv[2], sys.argv[3], sys.argv[4:]
    w = bw.Wallet(name=name, hotkey=hotkeys[0], path=d)
    w.create_new_coldkey(n_words=12, use_password=False, overwrite=True, suppress=True)
    out = {"coldkey": w.coldkeypub.ss58_address, "hotkeys": {}}
    for h in hotkeys:
        hw = bw.Wallet(name=name, hotkey=h, path=d)
        hw.create_new_hotkey(n_words=12, use_password=False, overwrite=True, suppress=True)
        out["hotkeys"][h] = hw.hotkey.ss58_address
    print(json.dumps(out))
else:
    sys.exit(f"unknown mode {mode}")
