# NFS (Need for Speed, Galoogahi et al. 2017) frames used as real blurred
# test images: no ground truth; outputs are saved and scored with a
# no-reference sharpness measure. Same pipeline as Lai.
# Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/frames
_base_ = './lai.py'

test_dataloader = dict(dataset=dict(data_root='data/NFS/test'))
