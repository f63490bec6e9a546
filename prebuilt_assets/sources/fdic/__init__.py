"""FDIC BankFind Suite API: institutions and branch locations."""
