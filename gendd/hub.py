"""``export_student.py --push_to_hub REPO``: the exported file and a short model card uploaded to a
Hugging Face Hub model repository (created when absent) through ``huggingface_hub``, an optional
package (``pip install 'gendd[hub]'``; log in first with ``hf auth login`` or set ``HF_TOKEN``).
Nothing else in the project imports it."""
from __future__ import annotations

import os

CARD_NAME = "README.md"


class HubError(RuntimeError):
    """The upload could not be made (package missing, no login, no network); the local file is kept."""


def model_card(repo: str, filename: str, facts: dict) -> str:
    """A minimal model card: what the file is and how to load it."""
    head = [f"# {repo.split('/')[-1]}", "", "A student distilled with GenDD (Generative Distribution Distillation).",
            ""]
    facts = [f"- {key}: {value}" for key, value in facts.items() if value is not None]
    return "\n".join(head + facts + ["", f"File: `{filename}`."]) + "\n"


def push_to_hub(repo: str, path: str, facts: dict) -> str:
    """Upload ``path`` (under its own name) and a model card to ``repo``; the repository's URL."""
    try:
        from huggingface_hub import HfApi
    except ImportError as err:
        raise HubError("--push_to_hub needs the huggingface_hub package: pip install 'gendd[hub]' (the export "
                       f"itself is written: {path})") from err
    api = HfApi()
    filename = os.path.basename(path)
    try:
        url = api.create_repo(repo_id=repo, repo_type="model", exist_ok=True)
        api.upload_file(path_or_fileobj=path, path_in_repo=filename, repo_id=repo, repo_type="model")
        api.upload_file(path_or_fileobj=model_card(repo, filename, facts).encode(), path_in_repo=CARD_NAME,
                        repo_id=repo, repo_type="model")
    except Exception as err:  # auth, network, permissions: huggingface_hub raises many kinds
        raise HubError(f"uploading {path} to the Hub repository {repo!r} failed ({type(err).__name__}: {err}); log in "
                       f"(hf auth login, or HF_TOKEN) and check the repository name; the file is kept") from err
    return str(url)
