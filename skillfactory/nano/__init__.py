"""The nano world: a tiny base model that the workflow pretrains from scratch on a synthetic corpus.

Only the ``pretrain_base`` stage imports this package. Its output is an ordinary ``save_pretrained`` folder with a
fast tokenizer and a chat template, so every later stage treats it exactly like an instruct model from the hub.
"""
