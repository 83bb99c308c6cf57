"""Documents: PDFs (with Factur-X for businesses), UBL, the EPC QR and the render queue.
Each feature registers how to draw its documents; this package stores and serves them."""
