"""Structure-keeping selection over token scores, still rectangular (the same kept count in every row).

Plain top-k over KVzip scores keeps a needle's digits but may drop what surrounds them: the space before
the number, the full stop that ends it, the word before it. The model then reads "...is 7438871" with no
terminator and runs on ("74388711"). Here the budget is spent on *units* instead of single tokens:

* a number unit is the run of digit tokens (with separators between digits and the token before the
  run when it is a bare space) plus the token that ends it (the terminator);
* with `neighbours=n`, every chosen token also brings the n tokens on each side;
* with `sentences=True`, a chosen token brings its whole sentence.

`structured_priority(scores, units, kept, ...)` picks, in each row, the largest m such that the m best
tokens by score, closed under those rules, fit in `kept`; the rest of the budget goes to the best
remaining tokens. It returns priorities whose top-`kept` is exactly that set, so the usual
`top_positions` / `gather_layers` path exports it unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

_TERMINATORS = set(".,;:!?)]}\"'")
_SENTENCE_END = set(".!?")


@dataclass(frozen=True)
class TokenUnits:
    number: torch.Tensor     # [T] long: unit id for number tokens (same id for a whole number), -1 elsewhere
    sentence: torch.Tensor   # [T] long: sentence index of every token (non-decreasing)


def _piece(tokenizer, tid: int) -> str:
    return tokenizer.decode([tid], skip_special_tokens=False, clean_up_tokenization_spaces=False)


def token_units(tokenizer, ids: torch.Tensor) -> TokenUnits:
    """Number units and sentences of the context ids `[1, T]` (or `[T]`)."""
    flat = ids.reshape(-1).tolist()
    pieces = [_piece(tokenizer, t) for t in flat]
    T = len(flat)
    number = [-1] * T
    unit = -1
    i = 0
    while i < T:
        if pieces[i].strip().isdigit():
            unit += 1
            start = i
            if start > 0 and pieces[start - 1].strip() == "" and number[start - 1] == -1:
                start -= 1  # the bare-space token SmolLM2-style tokenizers put before a number
            j = i
            while j + 1 < T and (pieces[j + 1].strip().isdigit() or
                                 (pieces[j + 1] in (",", ".") and j + 2 < T and pieces[j + 2].strip().isdigit())):
                j += 1
            end = j + 1 if j + 1 < T and pieces[j + 1].strip()[:1] in _TERMINATORS else j
            for t in range(start, end + 1):
                number[t] = unit
            i = end + 1
        else:
            i += 1
    sentence = []
    s = 0
    for i, p in enumerate(pieces):
        sentence.append(s)
        stripped = p.strip()
        inside_number = number[i] != -1 and i + 1 < T and number[i + 1] == number[i]  # "4.5"
        if (stripped and stripped[-1] in _SENTENCE_END and not inside_number) or "\n" in p:
            s += 1
    return TokenUnits(number=torch.tensor(number, dtype=torch.long), sentence=torch.tensor(sentence, dtype=torch.long))


def _close_over(mask: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """`mask [R, T]` bool -> every token whose group (`groups [T]`, -1 = no group) has a chosen member."""
    valid = groups >= 0
    if not bool(valid.any()):
        return mask
    g = groups.clamp(min=0).to(mask.device)
    n = int(groups.max()) + 1
    hit = torch.zeros(mask.shape[0], n, device=mask.device)
    hit.scatter_reduce_(1, g.expand_as(mask), (mask & valid.to(mask.device)).float(), reduce="amax")
    return mask | (hit.gather(1, g.expand_as(mask)).bool() & valid.to(mask.device))


def _expand(mask: torch.Tensor, units: TokenUnits, neighbours: int, sentences: bool) -> torch.Tensor:
    # Whole numbers first, so the neighbours are those of the number (the word before it, what follows its
    # terminator), then whole numbers again for a neighbour that is itself a digit.
    mask = _close_over(mask, units.number)
    if neighbours > 0:
        mask = F.max_pool1d(mask.float()[:, None], 2 * neighbours + 1, stride=1, padding=neighbours)[:, 0].bool()
    if sentences:
        mask = _close_over(mask, units.sentence)
    return _close_over(mask, units.number)


def structured_priority(scores: torch.Tensor, units: TokenUnits, kept: int, *, neighbours: int = 1,
                        sentences: bool = False, pinned: int = 0) -> torch.Tensor:
    """Priorities `[L, H, T]` whose top-`kept` per row is the structure-closed selection described above.
    `pinned` first tokens (attention sinks) are always kept."""
    L, H, T = scores.shape
    rows = scores.reshape(L * H, T).float()
    if kept >= T:
        return scores
    order = rows.argsort(dim=-1, descending=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(T, device=rows.device).expand_as(order))
    sink = torch.zeros(T, dtype=torch.bool, device=rows.device)
    sink[:pinned] = True

    def chosen(m: torch.Tensor) -> torch.Tensor:
        return _expand(rank < m[:, None], units, neighbours, sentences) | sink

    lo = torch.zeros(L * H, dtype=torch.long, device=rows.device)     # always fits (only sinks)
    hi = torch.full_like(lo, kept)                                      # m tokens never expand to fewer than m
    while bool((lo < hi).any()):
        mid = (lo + hi + 1) // 2
        fits = chosen(mid).sum(-1) <= kept
        lo = torch.where(fits, mid, lo)
        hi = torch.where(fits, hi, mid - 1)
    mask = chosen(lo)
    # Chosen tokens first (by their own score), then the best of the rest fill the budget.
    span = rows.max() - rows.min() + 1.0
    prio = rows + mask.float() * span * 2
    return prio.reshape(L, H, T)
