print("UI: see issue 4")
