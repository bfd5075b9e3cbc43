# DVD (DeepVideoDeblurring_Dataset, Su et al. 2017): the 10 test videos of
# quantitative_datasets/, frames in input/ (blurred) and GT/ (sharp).
# The loader and evaluator are HIDE's; only the dataset differs.
# Layout: docs/user_guides/dataset_prepare.md. Elsewhere:
#   --cfg-options test_dataloader.dataset.data_root=/path/to/quantitative_datasets
# The test video names are also deblurkit.datasets.DVD_TEST_VIDEOS.
_base_ = './hide.py'

dvd_test_videos = [
    '720p_240fps_2', 'IMG_0003', 'IMG_0021', 'IMG_0030', 'IMG_0031',
    'IMG_0032', 'IMG_0033', 'IMG_0037', 'IMG_0039', 'IMG_0049'
]

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='DVDDataset',
        data_root='data/DVD/quantitative_datasets',
        videos=dvd_test_videos,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
