"""The quarterly performance report: data from the warehouse, charts, an HTML page for the
committee paper, and an Excel workbook of the same figures."""
