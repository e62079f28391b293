"""Receipt, Z and X documents rendered to ESC/POS bytes, preview images and PDF."""
