"""Activation: segments (audiences as SQL over the marts) and, later, syncs to CRM tools."""

from __future__ import annotations

from commercelens.activation.segments import (
    MAX_PAGE_SIZE,
    Segment,
    SegmentDefinition,
    SegmentNotBuilt,
    SegmentPage,
    UnknownSegment,
    list_segments,
    segment_definition,
    segment_definitions,
    segment_page,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "Segment",
    "SegmentDefinition",
    "SegmentNotBuilt",
    "SegmentPage",
    "UnknownSegment",
    "list_segments",
    "segment_definition",
    "segment_definitions",
    "segment_page",
]
