"""Pictures of a PDF's forest plots, tables and text-less images (``pictures``), rendered by pdfium, so that a
reader compares the rows read (``layout.tables``) with the figure as the PDF draws it; each named by
``layout.region_id``.
"""

from __future__ import annotations

from .layout import region_id, tables


def pictures(path, pages, sha, scale=1.5, margin=12.0):
    """PNG pictures (base64) of every forest plot, table and text-less image region of a PDF, as
    ``{region_id: {"page", "box", "png"}}``, rendered by pdfium: what a reader compares the parsed rows with. A page
    whose text runs sideways is pictured whole, turned upright."""
    import base64
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    out = {}
    try:
        for n, p in enumerate(pages, start=1):
            boxes = [t["box"] for t in tables(p, n)] + p.get("images", [])
            if not boxes:
                continue
            page = doc[n - 1]
            w, h = page.get_width(), page.get_height()
            for i, (x0, y0, x1, y1) in enumerate(boxes, start=1):
                if p["rotation"]:
                    crop = (0, 0, 0, 0)
                else:
                    crop = (max(0, x0 - margin), max(0, y0 - margin), max(0, w - x1 - margin),
                            max(0, h - y1 - margin))
                img = page.render(scale=scale, crop=crop, rotation=p["rotation"]).to_pil()
                buf = io.BytesIO()
                img.save(buf, format="PNG", optimize=True)
                out[region_id(sha, n, i)] = {"page": n, "box": [x0, y0, x1, y1],
                                             "png": base64.b64encode(buf.getvalue()).decode()}
            page.close()
    finally:
        doc.close()
    return out
