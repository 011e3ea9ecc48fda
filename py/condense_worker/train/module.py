"""LightningModule: a trainable condenser in front of a frozen decoder."""
from __future__ import annotations

import lightning as L
import torch
from torch import nn

from ..condenser import Condenser
from .config import TrainConfig
from .tasks import answer_matches


def decoder_inputs(condenser: Condenser, decoder: nn.Module, ctx_ids, ctx_mask, dec_ids, dec_mask):
    """[soft tokens ; embedded prompt+target] and the matching attention mask."""
    soft = condenser.condense(ctx_ids, ctx_mask)
    emb = decoder.get_input_embeddings()(dec_ids)
    embeds = torch.cat([soft.to(emb.dtype), emb], dim=1)
    mask = torch.cat([dec_mask.new_ones(soft.shape[:2]), dec_mask], dim=1)
    return embeds, mask


@torch.no_grad()
def generate_answer(condenser: Condenser, decoder: nn.Module, tokenizer, context_ids: torch.Tensor,
                    prompt_ids: list[int], max_new_tokens: int) -> str:
    """Greedy answer of the decoder reading soft tokens then the prompt (one sample, no padding)."""
    dev = context_ids.device
    soft = condenser.condense(context_ids, torch.ones_like(context_ids))
    prompt = torch.tensor([prompt_ids], dtype=torch.long, device=dev)
    embeds = torch.cat([soft.to(decoder.dtype), decoder.get_input_embeddings()(prompt)], dim=1)
    out = decoder.generate(inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long, device=dev),
                           max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0], skip_special_tokens=True)


class CondenserTrainModule(L.LightningModule):
    def __init__(self, condenser: Condenser, decoder: nn.Module, decoder_tokenizer, cfg: TrainConfig) -> None:
        super().__init__()
        self.condenser, self.decoder, self.dtok, self.cfg = condenser, decoder, decoder_tokenizer, cfg
        for p in self.decoder.parameters():
            p.requires_grad_(False)
        # Checkpoints hold only the trainable tensors (on_save_checkpoint), so loading is partial.
        self.strict_loading = False
        self.tokens_seen = 0
        self.last_loss = float("nan")
        self.val_loss = float("nan")
        self.val_accuracy = float("nan")
        self._val_losses: list[float] = []
        self._val_hits: list[bool] = []

    def loss(self, batch: dict) -> torch.Tensor:
        embeds, mask = decoder_inputs(self.condenser, self.decoder, batch["ctx_ids"], batch["ctx_mask"],
                                      batch["dec_ids"], batch["dec_mask"])
        n = self.condenser.config.num_tokens
        labels = torch.cat([batch["labels"].new_full((batch["labels"].shape[0], n), -100), batch["labels"]], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        return self.decoder(inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                            labels=labels, use_cache=False).loss

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch)
        self.last_loss = float(loss.detach())
        self.tokens_seen += int(batch["ctx_mask"].sum() + batch["dec_mask"].sum()) + \
            batch["ctx_ids"].shape[0] * self.condenser.config.num_tokens
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_losses, self._val_hits = [], []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._val_losses.append(float(self.loss(batch)))
        for i, kind in enumerate(batch["kinds"]):
            if kind != "answering" or len(self._val_hits) >= self.cfg.val_generate:
                continue
            ids = batch["ctx_ids"][i][batch["ctx_mask"][i].bool()].unsqueeze(0)
            text = generate_answer(self.condenser, self.decoder, self.dtok, ids, batch["prompts"][i],
                                   self.cfg.max_new_tokens)
            self._val_hits.append(answer_matches(text, batch["answers"][i]))

    def on_validation_epoch_end(self) -> None:
        if self._val_losses:
            self.val_loss = sum(self._val_losses) / len(self._val_losses)
            self.log("val_loss", self.val_loss, batch_size=1)
        if self._val_hits:
            self.val_accuracy = sum(self._val_hits) / len(self._val_hits)

    def configure_optimizers(self):
        # Grouped learning rates: the adapter moves slowly, tokens and projection faster.
        groups = [{"params": self.condenser.head_parameters(), "lr": self.cfg.lr_projection, "name": "head"}]
        adapter = self.condenser.adapter_parameters()
        if adapter:
            groups.append({"params": adapter, "lr": self.cfg.lr, "name": "lora"})
        return torch.optim.AdamW(groups, weight_decay=self.cfg.weight_decay)

    def trainable_keys(self) -> set[str]:
        return {f"condenser.{n}" for n, p in self.condenser.named_parameters() if p.requires_grad}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        keep = self.trainable_keys()
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        checkpoint["condense_train_config"] = self.cfg.to_dict()
        checkpoint["condense_tokens_seen"] = self.tokens_seen

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        missing = self.trainable_keys() - set(checkpoint["state_dict"])
        if missing:
            raise ValueError(f"resume checkpoint lacks {len(missing)} trainable tensors (e.g. {sorted(missing)[0]}): "
                             "it was written for another model or configuration")
        self.tokens_seen = int(checkpoint.get("condense_tokens_seen", 0))
