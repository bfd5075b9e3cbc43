"""An official-equivalent DeblurGAN-v2 training iteration, for timing.

Rebuilt from the official trainer (DeblurGAN-v2's ``train.py``,
``models/losses.py`` and ``adversarial_trainer.py``: losses, discriminator
and schedule), written plainly the way that code computes it, so that ``benchmark_train.py --reference`` can time it beside
deblurkit's ``train_step``:

- the generator (deblurkit's, which has the official layers; eager, NCHW,
  float32, train mode);
- the official ``double_gan`` pair of ``NLayerDiscriminator`` s (rebuilt
  here as plain ``nn.Sequential`` s), each with its own RaGAN-LS criterion
  and pools of its last 50 predictions; the generator step recomputes
  ``D(real)`` with gradients and lets the gradients of D's weights be
  computed (the official ``get_g_loss``);
- the official ``PerceptualLoss.get_loss``: [-1, 1] -> [0, 1], ImageNet
  normalisation *in place* (here of every image of the batch), VGG19 to
  conv3_3 on both images, ``0.006 * MSE(features) + 0.5 * MSE(pixels)``;
- the official warm-up: while deblurkit's model is in its warm-up (the
  spec's ``frozen_iters``), the encoder's parameters do not require grad
  (the official ``freeze()``) and the generator's Adam holds the rest; then
  ``unfreeze()`` and a fresh Adam for the whole generator;
- one discriminator step (``backward(retain_graph=True)``, as the official
  trainer) then one generator step, Adam for both;
- data: a ``torch.utils.data.DataLoader`` over the same image files, read
  with OpenCV, randomly cropped and mapped to [-1, 1], in the training
  process itself: the official ``train.py`` gives its ``DataLoader`` no
  ``num_workers`` (the line with ``num_workers=cpu_count()`` is commented
  out there). This is lighter than the official albumentations pipeline
  (no augmentation, no corruption), so the reference's data time is a
  lower bound of the official one;
- the VGG's weights keep ``requires_grad=True``: the official
  ``PerceptualLoss.contentFunc`` builds the VGG from torchvision's
  ``vgg19(pretrained=True).features`` and never turns their gradients off
  (its ``torch.no_grad()`` covers only the construction), so every
  generator backward also computes the VGG's weight gradients, which
  accumulate unused (the generator's Adam holds only the generator);
- after each step, the official ``get_images_and_metrics``: the first
  image of input, output and target to 8-bit HWC arrays, PSNR
  (``util/metrics.py``) and SSIM (scikit-image's ``structural_similarity``
  with ``multichannel=True``: 7x7 uniform window, sample covariance;
  computed here with OpenCV's box filter, the same arithmetic) and the
  side-by-side picture, then the losses' ``.item()`` and the running means
  of the progress bar's message.

:class:`OfficialTrainIteration` is built in a process of its own by
:class:`~tools.analysis_tools.subprocess_worker.SubprocessWorker`.
"""
import time

import cv2
import numpy as np
import torch
import torch.nn as nn

KERNEL = 4
PAD = 2  # the official ceil((4 - 1) / 2)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def n_layer_discriminator(n_layers, ndf=64):
    """The official ``NLayerDiscriminator`` (instance norm, no sigmoid),
    with the layer indices of its ``model`` Sequential."""
    layers = [
        nn.Conv2d(3, ndf, KERNEL, stride=2, padding=PAD),
        nn.LeakyReLU(0.2, True)
    ]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2**n, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, KERNEL, stride=2, padding=PAD),
            nn.InstanceNorm2d(ndf * mult, track_running_stats=True),
            nn.LeakyReLU(0.2, True)
        ]
    prev, mult = mult, min(2**n_layers, 8)
    layers += [
        nn.Conv2d(ndf * prev, ndf * mult, KERNEL, stride=1, padding=PAD),
        nn.InstanceNorm2d(ndf * mult, track_running_stats=True),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * mult, 1, KERNEL, stride=1, padding=PAD)
    ]
    disc = nn.Module()
    disc.model = nn.Sequential(*layers)
    disc.forward = disc.model.forward
    return disc


class ImagePool:
    """The official pool: the last ``size`` predictions, one per image."""

    def __init__(self, size=50):
        self.size = size
        self.images = []

    def add(self, images):
        for image in images.detach():
            self.images.append(image[None])
            if len(self.images) > self.size:
                self.images.pop(0)

    def query(self):
        return torch.cat(self.images)


class RelativisticDiscLossLS:
    """The official RaGAN-LS criterion with its two pools."""

    def __init__(self):
        self.fake_pool = ImagePool()
        self.real_pool = ImagePool()

    def get_g_loss(self, net, fake, real):
        pred_fake = net(fake)
        pred_real = net(real)  # recomputed, with gradients, as official
        return (torch.mean(
            (pred_real - torch.mean(self.fake_pool.query()) + 1)**2) +
                torch.mean((pred_fake - torch.mean(self.real_pool.query())
                            - 1)**2)) / 2

    def get_loss(self, net, fake, real):
        pred_fake = net(fake.detach())
        self.fake_pool.add(pred_fake)
        pred_real = net(real)
        self.real_pool.add(pred_real)
        return (torch.mean(
            (pred_real - torch.mean(self.fake_pool.query()) - 1)**2) +
                torch.mean((pred_fake - torch.mean(self.real_pool.query())
                            + 1)**2)) / 2


class PerceptualLoss:
    """The official ``PerceptualLoss.get_loss`` (every image normalised)."""

    def __init__(self, vgg, device):
        self.vgg = vgg
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=device).view(3, 1, 1)
        self.criterion = nn.MSELoss()

    def get_loss(self, fake, real):
        fake = (fake + 1) / 2.0
        real = (real + 1) / 2.0
        for i in range(fake.shape[0]):  # in place, as official
            fake[i, :, :, :] = (fake[i, :, :, :] - self.mean) / self.std
            real[i, :, :, :] = (real[i, :, :, :] - self.mean) / self.std
        f_fake = self.vgg(fake)
        f_real = self.vgg(real).detach()
        return 0.006 * torch.mean(self.criterion(
            f_fake, f_real)) + 0.5 * nn.MSELoss()(fake, real)


def tensor2im(image_tensor):
    """The official ``DeblurModel.tensor2im``: first image, HWC, 8 bits
    (truncated, as ``astype(np.uint8)``)."""
    image = image_tensor[0].detach().cpu().float().numpy()
    image = (np.transpose(image, (1, 2, 0)) + 1) / 2.0 * 255.0
    return image.astype(np.uint8)


def official_psnr(img1, img2):
    """The official ``util.metrics.PSNR`` on 8-bit arrays."""
    mse = np.mean((img1 / 255. - img2 / 255.)**2)
    if mse == 0:
        return 100
    return 20 * np.log10(1 / np.sqrt(mse))


def official_ssim(img1, img2, win_size=7):
    """scikit-image's ``structural_similarity(img1, img2,
    multichannel=True)`` for 8-bit images: per channel, a ``win_size``
    uniform window, sample covariance, the border of half a window
    cropped (so the border mode of the filter does not matter), the mean
    over channels."""
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2
    cov_norm = win_size**2 / (win_size**2 - 1)
    pad = (win_size - 1) // 2

    def mean_filter(x):
        return cv2.blur(x, (win_size, win_size),
                        borderType=cv2.BORDER_REFLECT)

    values = []
    for ch in range(img1.shape[2]):
        x = img1[..., ch].astype(np.float64)
        y = img2[..., ch].astype(np.float64)
        ux, uy = mean_filter(x), mean_filter(y)
        vx = cov_norm * (mean_filter(x * x) - ux * ux)
        vy = cov_norm * (mean_filter(y * y) - uy * uy)
        vxy = cov_norm * (mean_filter(x * y) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / (
            (ux**2 + uy**2 + c1) * (vx + vy + c2))
        values.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(values))


class MetricCounter:
    """What the official ``MetricCounter`` does each iteration: keep the
    values and build the progress bar's message from the last 100."""

    def __init__(self):
        self.metrics = {}

    def add(self, **values):
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(value)

    def loss_message(self):
        return '; '.join(
            f'{k}={np.mean(self.metrics[k][-100:]):.4f}'
            for k in ('G_loss', 'PSNR', 'SSIM'))


class PairFiles(torch.utils.data.Dataset):
    """The benchmark's image pairs, read with OpenCV, cropped, [-1, 1]."""

    def __init__(self, pairs, shape):
        self.pairs = pairs
        self.shape = shape

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        blur_path, sharp_path = self.pairs[index]
        blur, sharp = cv2.imread(blur_path), cv2.imread(sharp_path)
        h, w = self.shape
        top = np.random.randint(0, blur.shape[0] - h + 1)
        left = np.random.randint(0, blur.shape[1] - w + 1)

        def prepare(img):
            img = img[top:top + h, left:left + w].astype(np.float32)
            return torch.from_numpy(
                np.transpose((img / 255 - 0.5) / 0.5, (2, 0, 1)).copy())

        return dict(a=prepare(blur), b=prepare(sharp))


class OfficialTrainIteration:
    """One official-equivalent training iteration per :meth:`step`.

    Args:
        spec (dict): ``config`` and ``cfg_options`` (the generator),
            ``state`` (a file holding ``generator``, ``discriminator`` and
            ``vgg`` state dicts), ``pairs`` (list of (blur, sharp) file
            paths), ``shape``, ``batch_size``, ``num_workers``, ``device``,
            ``threads``, ``lr`` (Adam's, of G and D), ``adv_lambda``.
    """

    def __init__(self, spec):
        from deblurkit.apis.init_model import build_generator
        from deblurkit.models.losses.perceptual_loss import vgg19_features
        from tools.analysis_tools.benchmark import PeakMemory
        torch.set_num_threads(spec['threads'])
        torch.manual_seed(0)
        np.random.seed(0)
        self.device = torch.device(spec['device'])
        state = torch.load(spec['state'], weights_only=True)
        self.netG = build_generator(spec['config'], spec['cfg_options'])
        self.netG.load_state_dict(state['generator'])
        self.netG.to(self.device).train()
        self.patch = n_layer_discriminator(3)
        self.full = n_layer_discriminator(5)
        disc = state['discriminator']
        for name, net in (('patch', self.patch), ('full', self.full)):
            net.load_state_dict({
                k[len(name) + 1:]: v
                for k, v in disc.items() if k.startswith(name + '.')
            })
            net.to(self.device).train()
        vgg = vgg19_features(14)
        vgg.load_state_dict(state['vgg'])
        # requires_grad stays True, as in the official contentFunc.
        vgg.to(self.device).eval()
        self.criterionG = PerceptualLoss(vgg, self.device)
        self.patch_loss = RelativisticDiscLossLS()
        self.full_loss = RelativisticDiscLossLS()
        # The official warm-up: the encoder's parameters stop requiring
        # grad (its ``freeze()``), the generator's Adam takes the others;
        # at the end of warm-up ``unfreeze()`` and a fresh Adam for all.
        # Mirrors the phase deblurkit's model is in (``frozen_iters``).
        self.unfreeze_at = spec.get('frozen_iters', 0)
        self.iteration = 0
        self.lr = spec['lr']
        self._set_encoder_frozen(self.unfreeze_at > 0)
        self.optimizer_D = torch.optim.Adam(
            list(self.patch.parameters()) + list(self.full.parameters()),
            lr=spec['lr'])
        self.adv_lambda = spec['adv_lambda']
        self.metric_counter = MetricCounter()
        loader = torch.utils.data.DataLoader(
            PairFiles(spec['pairs'], tuple(spec['shape'])),
            batch_size=spec['batch_size'],
            shuffle=True,
            num_workers=spec['num_workers'],
            persistent_workers=spec['num_workers'] > 0,
            drop_last=True)
        self.loader = loader
        self.batches = iter(loader)
        self.memory = PeakMemory(self.device)
        self.started = False

    def _next_batch(self):
        try:
            return next(self.batches)
        except StopIteration:
            self.batches = iter(self.loader)
            return next(self.batches)

    def _set_encoder_frozen(self, frozen):
        backbone = getattr(self.netG, 'backbone', None)
        if backbone is not None:
            for param in backbone.parameters():
                param.requires_grad_(not frozen)
        self.optimizer_G = torch.optim.Adam(
            [p for p in self.netG.parameters() if p.requires_grad],
            lr=self.lr)

    def _sync(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def _loss_d(self, fake, real):
        return (self.patch_loss.get_loss(self.patch, fake, real) +
                self.full_loss.get_loss(self.full, fake, real)) / 2

    def _loss_g(self, fake, real):
        return (self.patch_loss.get_g_loss(self.patch, fake, real) +
                self.full_loss.get_g_loss(self.full, fake, real)) / 2

    def step(self):
        """One iteration; returns its ``data_s``, ``step_s`` and losses."""
        if not self.started:
            self.memory.start()
            self.started = True
        if self.iteration == self.unfreeze_at > 0:
            self._set_encoder_frozen(False)
        self.iteration += 1
        self._sync()
        start = time.perf_counter()
        data = self._next_batch()
        inputs = data['a'].to(self.device)
        targets = data['b'].to(self.device)
        loaded = time.perf_counter()
        outputs = self.netG(inputs)
        self.optimizer_D.zero_grad()
        loss_d = self.adv_lambda * self._loss_d(outputs, targets)
        loss_d.backward(retain_graph=True)
        self.optimizer_D.step()
        self.optimizer_G.zero_grad()
        loss_content = self.criterionG.get_loss(outputs, targets)
        loss_adv = self._loss_g(outputs, targets)
        loss_g = loss_content + self.adv_lambda * loss_adv
        loss_g.backward()
        self.optimizer_G.step()
        # The rest of the official iteration: the losses' values, the
        # training PSNR/SSIM of the first image and the progress message.
        g_value, content_value = loss_g.item(), loss_content.item()
        inp, fake, real = map(tensor2im, (inputs, outputs, targets))
        psnr, ssim = official_psnr(fake, real), official_ssim(fake, real)
        np.hstack((inp, fake, real))
        self.metric_counter.add(G_loss=g_value, G_loss_content=content_value,
                                D_loss=loss_d.item(), PSNR=psnr, SSIM=ssim)
        self.metric_counter.loss_message()
        self._sync()
        done = time.perf_counter()
        return dict(
            data_s=loaded - start,
            step_s=done - loaded,
            losses=dict(
                loss_d=loss_d.item(),
                loss_content=loss_content.item(),
                loss_g_adv=loss_adv.item(),
                loss_g=loss_g.item()))

    def peak_memory(self):
        """``(peak MiB, method)`` over the steps so far."""
        return self.memory.mb(), self.memory.method
