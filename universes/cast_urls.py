# Cast control and the scene breakdown report (merge, split, rename, hide, undo; CSV).
urlpatterns: list = []
