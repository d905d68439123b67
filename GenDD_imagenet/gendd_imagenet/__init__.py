"""ImageNet side of GenDD: the model zoo, teacher loading and the data pipelines
(ImageNet ImageFolder, ImageNet-LT lists, CC3M webdataset shards)."""
