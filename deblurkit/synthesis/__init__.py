"""Synthetic blur data: sharp images, camera-shake blur, GoPro-layout sets.

- Sharp sources: :func:`dead_leaves_image` (procedural, natural-image
  statistics) and :class:`ImageFolderSource` (crops of your photos).
- Blur: :func:`random_trajectory` (Boracchi & Foi camera shake), then
  :func:`blur_by_frame_averaging` (the GoPro recipe) or
  :func:`trajectory_to_kernel` + :func:`blur_with_kernel` (DeblurGAN v1),
  all in linear light; :func:`add_sensor_noise`, :func:`jpeg_compress`.
- Pairs and datasets: :func:`synthesize_pair` with :class:`BlurSettings`,
  :func:`write_blur_dataset` (used by
  ``tools/dataset_converters/synthesize_blur.py``).
- In a pipeline: the ``SynthesizeMotionBlur`` transform.

Everything random takes a ``numpy.random.Generator``; nothing touches the
global random state.
"""
from .blur import blur_by_frame_averaging, blur_with_kernel
from .color import linear_to_srgb, srgb_to_linear
from .dataset_writer import (MANIFEST, SPLITS, list_complete_pairs,
                             write_blur_dataset)
from .dead_leaves import dead_leaves_image
from .degradations import add_sensor_noise, jpeg_compress
from .errors import SynthesisError
from .kernel import random_blur_kernel, trajectory_to_kernel
from .pair import BLUR_MODELS, BlurSettings, soften_by_lens, synthesize_pair
from .sources import DeadLeavesSource, ImageFolderSource
from .trajectory import (MotionTrajectory, random_motion_path,
                         random_trajectory, sample_blur_length)
from .transforms import SynthesizeMotionBlur

__all__ = [
    'BLUR_MODELS', 'BlurSettings', 'DeadLeavesSource', 'ImageFolderSource',
    'MANIFEST', 'MotionTrajectory', 'SPLITS', 'SynthesisError',
    'SynthesizeMotionBlur', 'add_sensor_noise', 'blur_by_frame_averaging',
    'blur_with_kernel', 'dead_leaves_image', 'jpeg_compress',
    'linear_to_srgb', 'list_complete_pairs', 'random_blur_kernel',
    'random_motion_path', 'random_trajectory', 'sample_blur_length',
    'soften_by_lens', 'srgb_to_linear', 'synthesize_pair',
    'trajectory_to_kernel', 'write_blur_dataset'
]
