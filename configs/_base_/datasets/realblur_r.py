# RealBlur-R test set (980 pairs, images developed from the camera's RAW
# files), given by the list file RealBlur_R_test_list.txt of
# "gt_path blur_path" lines. Same layout and pipeline as RealBlur-J.
# Layout: docs/user_guides/dataset_prepare.md. Point elsewhere with
#   --cfg-options test_dataloader.dataset.data_root=/path/to/RealBlur
_base_ = './realblur_j.py'

test_dataloader = dict(dataset=dict(ann_file='RealBlur_R_test_list.txt'))
