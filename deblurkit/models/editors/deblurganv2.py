"""DeblurGAN-v2 as an mmengine model: a relativistic conditional GAN."""
import contextlib
import logging
import math

import torch
from mmengine.dist import get_world_size
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import AmpOptimWrapper
from torch.func import functional_call

from deblurkit.registry import DISCRIMINATORS, LOSSES, MODELS
from deblurkit.structures import DeblurDataSample
from ..generators import build_part
from ..generators.contract import align_pad_size, check_generator_output


def unwrap(module):
    """The module inside a DDP wrapper, or the module itself."""
    return getattr(module, 'module', module)


#: CPU capabilities (``torch.backends.cpu.get_cpu_capability()``) on which
#: ``channels_last='auto'`` trains channels-last (see DeblurGANv2).
CHANNELS_LAST_TRAINING_CPUS = ('AVX512', )


def resolve_channels_last(value):
    """``DeblurGANv2(channels_last=...)`` as a bool."""
    if value not in (True, False, 'auto'):
        raise ValueError("model.channels_last must be True, False or "
                         f"'auto', got {value!r}")
    if value == 'auto':
        return (not torch.cuda.is_available()
                and torch.backends.cpu.get_cpu_capability()
                in CHANNELS_LAST_TRAINING_CPUS)
    return value


@MODELS.register_module()
class DeblurGANv2(BaseModel):
    """DeblurGAN-v2 (Kupyn et al., ICCV 2019).

    Each training iteration runs one discriminator step on the detached
    generator output, then one generator step on ``content + adv_lambda *
    adversarial``, through the ``generator`` and ``discriminator`` entries of
    an ``OptimWrapperDict`` (so AMP and gradient accumulation come from
    mmengine's optim wrappers).

    Warm-up: for the first ``warmup_iters`` iterations the generator's
    backbone is frozen, as the official schedule does for 3 epochs. Freezing
    is done by discarding the backbone's gradients before each optimizer step
    rather than by ``requires_grad=False``: DDP registers its gradient hooks
    only for parameters that require grad when it wraps the model, so a
    backbone frozen that way would, once unfrozen, train without its
    gradients being averaged across replicas. The optimizer never sees a
    backbone gradient during warm-up. In a single process (no DDP) the
    backbone's parameters stop requiring grad just for the generator's
    forward, so nothing is computed for them at all, as in the official
    code; under DDP their gradients are computed and dropped.

    Restart at the end of warm-up (``restart_optimizer_after_warmup``): the
    official ``train.py`` builds a fresh Adam for the whole generator when
    it unfreezes the backbone, so the FPN and head lose their Adam moments
    and step counts too. With the option on, the generator's optimizer
    state is cleared at iteration ``warmup_iters`` before its step, which is
    the same as a fresh optimizer with the same settings (on every DDP rank
    alike, and saved in checkpoints, so ``--resume`` on either side of the
    boundary continues the same run). The fresh scheduler of the official
    code (the generator's learning-rate decay starting ``warmup_iters``
    later than the discriminator's) is restarted by
    :class:`~deblurkit.engine.hooks.WarmupRestartHook`, which the configs
    of the released recipe add.

    Non-finite training: a loss or gradient that is NaN or infinite stops
    training with a ``FloatingPointError`` naming the iteration and the
    term, before the optimizer step, so the weights stay finite and no
    checkpoint with non-finite weights is written; the last checkpoint
    remains a good one to ``--resume`` from.

    Logged values (:meth:`train_step`, each the value of the iteration):
    ``loss_d`` the discriminator's loss as it is minimised, ``adv_lambda``
    times the adversarial loss of D (``loss_d_unweighted``);
    ``loss_g_adv`` the generator's adversarial loss, unweighted, and
    ``loss_g_adv_weighted`` the same times ``adv_lambda``, its share of
    ``loss_g``; ``loss_content`` the content loss (already weighted by its
    own ``loss_weight``); ``loss_g = loss_content + loss_g_adv_weighted``,
    the generator's loss as it is minimised. Without a discriminator only
    ``loss_content`` and ``loss_g`` (then equal).

    Args:
        generator (dict): Any generator registered in ``MODELS``
            (``FPNGenerator`` for the paper's).
        discriminator (dict, optional): From ``DISCRIMINATORS``; None trains
            the generator on the content loss alone.
        content_loss (dict): From ``LOSSES``, called as ``loss(pred, gt)``
            on [-1, 1] images.
        adv_loss (dict, optional): From ``LOSSES``, with ``loss_d(D, real,
            fake)`` and ``loss_g(D, real, fake)``.
        adv_lambda (float): Weight of the adversarial terms of both players
            (0.001 in the released config).
        warmup_iters (int): Iterations with the backbone frozen.
        restart_optimizer_after_warmup (bool): Clear the generator's
            optimizer state at the end of warm-up, as the official code
            does (see above). Default: False.
        channels_last (bool | str): Keep the generator's and
            discriminator's weights and each training batch in channels-last
            memory format: the same computation in another layout (equal up
            to float rounding), which oneDNN's CPU convolutions run faster
            on some CPUs. ``'auto'``: channels-last when no CUDA device is
            present and the CPU has AVX-512 (the demo generator's training
            iteration 1.2-1.4x faster on a 2-core AVX-512 EPYC; on an AVX2
            EPYC the GoPro recipe's generator was 1.016x slower, so those
            stay NCHW). Default False: the official code's layout, and a
            generator that calls ``.view`` on its activations would fail.
        data_preprocessor (dict): Defaults to ``DeblurDataPreprocessor``.
    """

    def __init__(self,
                 generator,
                 discriminator=None,
                 content_loss=dict(type='PerceptualLoss'),
                 adv_loss=dict(type='RaGANLSLoss'),
                 adv_lambda=0.001,
                 warmup_iters=0,
                 restart_optimizer_after_warmup=False,
                 channels_last=False,
                 data_preprocessor=dict(type='DeblurDataPreprocessor'),
                 init_cfg=None):
        # Built from our registry, so no default scope is needed.
        super().__init__(
            data_preprocessor=build_part(MODELS, data_preprocessor,
                                         'model.data_preprocessor'),
            init_cfg=init_cfg)
        self.generator = build_part(MODELS, generator, 'model.generator')
        align_pad_size(self.data_preprocessor, self.generator)
        self.discriminator = None
        if discriminator is not None:
            self.discriminator = build_part(DISCRIMINATORS, discriminator,
                                            'model.discriminator')
        self.content_loss = build_part(LOSSES, content_loss,
                                       'model.content_loss')
        self.adv_loss = None
        if self.discriminator is not None:
            if adv_loss is None:
                raise ValueError('model.adv_loss is needed when '
                                 'model.discriminator is set')
            self.adv_loss = build_part(LOSSES, adv_loss, 'model.adv_loss')
        self.adv_lambda = adv_lambda
        self.warmup_iters = warmup_iters
        self.restart_optimizer_after_warmup = restart_optimizer_after_warmup
        self.channels_last = resolve_channels_last(channels_last)
        if self.channels_last:
            # Here, before any DDP wrapper or optimizer sees the weights;
            # parameters keep their identity anyway (a checkpoint loaded
            # into them keeps the layout).
            self.generator.to(memory_format=torch.channels_last)
            if self.discriminator is not None:
                self.discriminator.to(memory_format=torch.channels_last)
        if warmup_iters > 0 and self.backbone is None:
            print_log(
                f'model.warmup_iters={warmup_iters} freezes the generator\'s '
                f'backbone, but {type(unwrap(self.generator)).__name__} has '
                'no `backbone` attribute: nothing is frozen and the whole '
                'generator trains from the first iteration. Set '
                'model.warmup_iters=0 to silence this.',
                logger='current', level=logging.WARNING)
        # Iterations seen by train_step, for use outside a Runner.
        self._local_iter = 0

    # ---------------------------------------------------------------- utils
    @property
    def backbone(self):
        """The generator's backbone, or None if the generator has none."""
        return getattr(unwrap(self.generator), 'backbone', None)

    def current_iter(self):
        hub = MessageHub.get_current_instance()
        runner_iter = hub.get_info('iter')
        return self._local_iter if runner_iter is None else runner_iter

    def backbone_frozen(self):
        return self.backbone is not None and \
            self.current_iter() < self.warmup_iters

    @contextlib.contextmanager
    def _backbone_without_graph(self):
        """During warm-up, unless the generator is wrapped for distributed
        training: the backbone's parameters stop requiring grad for the
        generator's forward, so that autograd records nothing for the
        backbone and the backward stops at its output, as in the official
        code (whose frozen encoder has ``requires_grad=False``), instead of
        computing gradients that are then dropped. Under DDP the gradients
        are computed and dropped (see the class docstring)."""
        if not self.backbone_frozen() or is_model_wrapper(
                self.generator) or get_world_size() > 1:
            yield
            return
        params = [p for p in self.backbone.parameters() if p.requires_grad]
        for param in params:
            param.requires_grad_(False)
        try:
            yield
        finally:
            for param in params:
                param.requires_grad_(True)

    def _check_finite(self, name, value):
        """Stop training on a NaN or infinite loss, before any update."""
        if not torch.isfinite(value).all():
            raise FloatingPointError(
                f'iteration {self.current_iter()}: {name} is '
                f'{float(value.detach())}; training stopped before this '
                'update, so the weights and every checkpoint saved so far '
                'are finite. Lower the learning rate or check the data, '
                'then resume from the last checkpoint with --resume.')

    def _check_finite_grads(self, name, module, optim_wrapper):
        if isinstance(optim_wrapper, AmpOptimWrapper):
            return  # its loss scaler skips steps with inf/NaN gradients
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if grads:
            norm = torch.linalg.vector_norm(
                torch.stack(
                    [torch.linalg.vector_norm(g.float()) for g in grads]))
            if not math.isfinite(float(norm)):
                self._check_finite(f'the gradient of {name}', norm)

    def _discriminate_frozen(self, images):
        """D(images) with D's parameters treated as constants.

        The generator's adversarial term needs gradients w.r.t. the images
        only; running D on detached parameters keeps D's gradients for D's
        own step and keeps D's DDP wrapper out of the generator step.
        """
        disc = unwrap(self.discriminator)
        params = {
            name: p.detach()
            for name, p in disc.named_parameters()
        }
        return functional_call(disc, params, (images, ))

    # ---------------------------------------------------------------- steps
    def train_step(self, data, optim_wrapper):
        data = self.data_preprocessor(data, True)
        blur, sharp = data['inputs'], data['gt']
        if sharp is None:
            raise ValueError('training needs sharp images: every data sample '
                             'must carry gt_img')
        if self.channels_last:
            blur = blur.contiguous(memory_format=torch.channels_last)
            sharp = sharp.contiguous(memory_format=torch.channels_last)
        log_vars = {}
        optim_g = optim_wrapper['generator']
        with optim_g.optim_context(self.generator), \
                self._backbone_without_graph():
            fake = self.generator(blur)
        check_generator_output(self.generator, blur, fake)

        if self.discriminator is not None:
            optim_d = optim_wrapper['discriminator']
            with optim_d.optim_context(self.discriminator):
                loss_d_unweighted = self.adv_loss.loss_d(
                    self.discriminator, sharp, fake.detach())
                loss_d = self.adv_lambda * loss_d_unweighted
            self._check_finite('loss_d', loss_d)
            optim_d.backward(optim_d.scale_loss(loss_d))
            if optim_d.should_update():
                self._check_finite_grads('the discriminator',
                                         self.discriminator, optim_d)
                optim_d.step()
                optim_d.zero_grad()
            log_vars['loss_d'] = loss_d.detach()
            log_vars['loss_d_unweighted'] = loss_d_unweighted.detach()

        with optim_g.optim_context(self.generator):
            loss_content = self.content_loss(fake, sharp)
            self._check_finite('loss_content', loss_content)
            loss_g = loss_content
            if self.discriminator is not None:
                loss_adv = self.adv_loss.loss_g(self._discriminate_frozen,
                                                sharp, fake)
                self._check_finite('loss_g_adv', loss_adv)
                loss_adv_weighted = self.adv_lambda * loss_adv
                loss_g = loss_g + loss_adv_weighted
                log_vars['loss_g_adv'] = loss_adv.detach()
                log_vars['loss_g_adv_weighted'] = loss_adv_weighted.detach()
        log_vars['loss_content'] = loss_content.detach()
        log_vars['loss_g'] = loss_g.detach()
        self._update_generator(optim_g, loss_g)
        self._local_iter += 1
        return {k: v.item() for k, v in log_vars.items()}

    def _update_generator(self, optim_g, loss):
        # optim_wrapper.update_params, with the backbone's gradients dropped
        # during warm-up (see the class docstring).
        optim_g.backward(optim_g.scale_loss(loss))
        if optim_g.should_update():
            if self.backbone_frozen():
                for param in self.backbone.parameters():
                    param.grad = None
            self._check_finite_grads('the generator', self.generator,
                                     optim_g)
            if self._restarts_now():
                # A fresh Adam for the whole generator, as train.py builds
                # when it unfreezes the backbone.
                optim_g.optimizer.state.clear()
            optim_g.step()
            optim_g.zero_grad()

    def _restarts_now(self):
        return (self.restart_optimizer_after_warmup and self.warmup_iters > 0
                and self.current_iter() == self.warmup_iters)

    def forward(self, inputs, data_samples=None, mode='tensor', gt=None):
        """``mode``: ``'tensor'`` (the generator's output in [-1, 1]),
        ``'predict'`` (data samples with ``pred_img`` and ``input_img`` in
        [0, 1], cropped back to each image's size by the data
        preprocessor's ``destruct``) or ``'loss'`` (the content loss against
        ``gt``)."""
        output = self.generator(inputs)
        check_generator_output(self.generator, inputs, output)
        if mode == 'tensor':
            return output
        if mode == 'loss':
            if gt is None:
                raise ValueError("mode='loss' needs gt images")
            return dict(loss_content=self.content_loss(output, gt))
        if mode == 'predict':
            return self._pack_predictions(inputs, output, data_samples)
        raise ValueError(f'unknown mode {mode!r}; use tensor, predict or loss')

    def _pack_predictions(self, inputs, output, data_samples):
        if data_samples is None:
            data_samples = [DeblurDataSample() for _ in range(len(output))]
        destruct = self.data_preprocessor.destruct
        for sample, pred, img in zip(data_samples,
                                     destruct(output, data_samples),
                                     destruct(inputs, data_samples)):
            sample.pred_img, sample.input_img = pred, img
        return data_samples
