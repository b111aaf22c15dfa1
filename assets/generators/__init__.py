"""Picks the generator for an asset type and engine ("local" or "openai")."""

from __future__ import annotations

from collections.abc import Callable

from assets.generators.base import AssetRequest, GeneratedAsset, GeneratorSession

Generator = Callable[[AssetRequest, GeneratorSession], GeneratedAsset]


def generator_for(asset_type: str, engine: str) -> Generator:
    # Imported on use: a worker that makes only PDFs never loads the image code.
    if asset_type in ("cover", "card_image"):
        from assets.generators import images

        return images.openai_image if engine == "openai" else images.local_image
    if asset_type == "portrait":
        from assets.generators import portraits

        return portraits.openai_portrait if engine == "openai" else portraits.local_portrait
    if asset_type == "narration":
        from assets.generators import narration

        return narration.openai_narration if engine == "openai" else narration.local_narration
    if asset_type == "activities":
        from assets.generators import activities

        return activities.openai_activities if engine == "openai" else activities.local_activities
    if asset_type == "pdf":
        from assets.generators import storybook

        return storybook.storybook_pdf
    raise ValueError(f"unknown asset type {asset_type!r}")
