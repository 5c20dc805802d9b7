"""A small byte-level BPE tokenizer trained on the nano corpus, saved as a ``transformers`` fast tokenizer.

Why these choices:
- byte-level BPE decodes back to exactly the generated text, so answers parse the same after a round trip;
- digits are split one per token, so arithmetic stays compositional for a tiny model;
- the trace tags (``<answer>``, ``<sample>``, ``<verdict>``...) are single ordinary tokens: traces stay short and
  the tags survive ``skip_special_tokens`` decoding; only the chat markers are special tokens.
"""

from __future__ import annotations

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

PAD, EOS = "<|pad|>", "<|end|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
TAG_TOKENS = [
    f"<{slash}{tag}>"
    for tag in ("think", "sample", "reflect", "answer", "verdict")
    for slash in ("", "/")
]

# One turn per message; the assistant turn ends with EOS so that generation stops there.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def train_tokenizer(texts, vocab_size: int) -> PreTrainedTokenizerFast:
    """Train the BPE on ``texts`` (an iterable of strings) and wrap it with the chat template."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    special = [PAD, EOS, *ROLE_TOKENS]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD,
        eos_token=EOS,
        additional_special_tokens=ROLE_TOKENS,
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
    )
