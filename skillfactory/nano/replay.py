"""Replay for SFT: fresh documents of the kinds the nano pretraining corpus holds, to mix into an SFT dataset.

A small model fine-tuned for several epochs at a high learning rate forgets what its SFT data do not show (harder
Countdown sizes, verification, other tasks); replaying such documents keeps them. The documents are written by the
corpus author (:func:`skillfactory.nano.corpus.build_corpus`) under their own seed, never on an excluded question, and
their Countdown attempts only in the chosen prompt styles. Each document says its kind, so that SFT can treat
Countdown documents and out-of-domain ones differently (``sft_replay.untrained_ends``).
"""

from __future__ import annotations

from skillfactory.nano.corpus import build_corpus, ood_documents


def replay_count(rows: int, share: float) -> int:
    """Replay documents to add to ``rows`` own rows so that they make up ``share`` of the mixed dataset.

    >>> replay_count(400, 0.6), replay_count(400, 0.0)
    (600, 0)
    """
    return round(rows * share / (1 - share))


def replay_documents(n: int, spec: dict, seed: int, exclude: set) -> list[dict]:
    """``n`` chat documents (TRL's prompt-completion format), each with its ``kind``: ``countdown`` (an attempt or a
    verification) or ``other`` (an out-of-domain attempt). ``spec`` holds the corpus settings (``pretrain``),
    ``countdown`` task parameters, ``prompts``, the replayed ``styles`` (null: all), the share of out-of-domain
    attempts (``ood_share``, in place of the corpus's) and ``ood_sets`` (see
    :func:`skillfactory.nano.corpus.ood_documents`)."""
    if n == 0:
        return []
    prompts = spec["prompts"]
    styles = {name: prompts["styles"][name] for name in spec["styles"] or prompts["styles"]}
    corpus = {**spec["pretrain"], "n_documents": n, "ood_share": spec["ood_share"]}
    documents = build_corpus(corpus, spec["countdown"], {**prompts, "styles": styles}, f"replay-{seed}", exclude,
                             spec["ood_sets"])
    # build_corpus mixes in exactly these out-of-domain documents (same settings, same seed)
    other = {str(d["prompt"]) for d in ood_documents(corpus, spec["ood_sets"], f"replay-{seed}", exclude)}
    return [{**d, "kind": "other" if str(d["prompt"]) in other else "countdown"} for d in documents[:n]]
