"""Session figures: conversion is buyers over unique viewers, as a ratio (never a float of money)."""

from __future__ import annotations


def conversion(buyers: int, viewers: int) -> float:
    return round(buyers / viewers, 4) if viewers else 0.0
