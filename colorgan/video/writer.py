"""Writing a colorized film: H.264 in MP4 at the source's frame size, timestamps and frame rate, with the
source's audio copied (or re-encoded to AAC when MP4 cannot hold its codec, e.g. PCM from a .mov or .avi).

The file is written beside its destination under a hidden name and renamed when complete, so a failure
never leaves a half-written film where the output should be.
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc

from colorgan.errors import VideoRejected
from colorgan.video.reader import FrameBatch, VideoReader

log = logging.getLogger(__name__)

# x264: CRF 18 is about visually lossless (FFmpeg's H.264 guide); "veryfast" keeps encoding 1080p several
# times faster than the colorization it follows on a CPU. BT.709 is the HD matrix, tagged so players agree.
X264_OPTIONS = {"crf": "18", "preset": "veryfast"}
COLORSPACE = "ITU709"
MP4_AUDIO_CODECS = frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"})  # the MP4 muxer's


class VideoWriter:
    """An MP4 at ``path`` with the frames given to ``write`` and the audio packets given to ``audio``.

    The video stream is created at the first batch (its size is the frames'); audio packets met before
    are held until then (a batch's worth of sound). ``close`` finishes the file, ``abort`` removes it.
    """

    def __init__(self, path: str | Path, source: VideoReader):
        self.path = Path(path)
        self.partial = self.path.with_name(f".{self.path.name}.part")
        self.source = source
        self.out = av.open(str(self.partial), "w", format="mp4")
        self.video: av.VideoStream | None = None
        self.audio: dict[int, tuple[av.AudioStream, av.AudioResampler | None]] = {}  # source index -> (stream,
        # resampler: None when the packets are copied)
        self.held: list[av.Packet] = []

    def _start(self, height: int, width: int) -> None:
        src = self.source.video
        # x264's 4:2:0 needs even sides; an odd-sized film keeps its size in 4:4:4 (High 4:4:4 profile)
        even = height % 2 == 0 and width % 2 == 0
        stream = self.out.add_stream("libx264", rate=self.source.rate, options=dict(X264_OPTIONS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p" if even else "yuv444p"
        stream.time_base = stream.codec_context.time_base = self.source.time_base
        cc = stream.codec_context
        cc.colorspace, cc.color_range = Colorspace.ITU709, ColorRange.MPEG  # BT.709, limited range, as encoded
        cc.color_primaries, cc.color_trc = ColorPrimaries.BT709, ColorTrc.BT709
        if src.sample_aspect_ratio:
            cc.sample_aspect_ratio = src.sample_aspect_ratio
        if self.source.rotation:  # frames are colorized as stored; players turn them as they did the source's
            stream.set_display_rotation(self.source.rotation)
        self.video = stream
        for source in self.source.audio:
            self.audio[source.index] = self._audio_stream(source)
        for packet in self.held:
            self._mux_audio(packet)
        self.held = []

    def _audio_stream(self, source: av.AudioStream) -> tuple[av.AudioStream, av.AudioResampler | None]:
        codec = source.codec_context
        if codec.name in MP4_AUDIO_CODECS:
            return self.out.add_stream_from_template(source), None
        log.info("%s: audio %s re-encoded to AAC (MP4 cannot hold it)", self.source.path, codec.name)
        rate, layout = codec.sample_rate or 48000, f"{codec.layout.nb_channels}c"  # the default layout of as many
        stream = self.out.add_stream("aac", rate=rate)
        stream.layout = layout
        # FFmpeg's AAC encoder takes planar float in frames of 1024 samples
        return stream, av.AudioResampler(format="fltp", layout=layout, rate=rate, frame_size=1024)

    def write(self, batch: FrameBatch) -> None:
        """Encode ``batch`` (``rgb`` ``(N, H, W, 3)`` uint8) at its timestamps."""
        if self.video is None:
            self._start(*batch.rgb.shape[1:3])
        for rgb, pts, duration in zip(batch.rgb, batch.pts, batch.durations):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame = frame.reformat(format=self.video.pix_fmt, dst_colorspace=COLORSPACE, dst_color_range="MPEG")
            frame.pts, frame.time_base, frame.duration = pts, self.source.time_base, duration
            self.out.mux(self.video.encode(frame))

    def audio_packet(self, packet: av.Packet) -> None:
        """Pass one of the source's audio packets on (held until the video stream exists); an empty packet
        ends its stream."""
        if self.video is None:
            self.held.append(packet)
        else:
            self._mux_audio(packet)

    def _mux_audio(self, packet: av.Packet) -> None:
        stream, resampler = self.audio[packet.stream.index]
        shift = self.source.offset(packet.time_base)
        if resampler is not None:
            for frame in packet.decode():
                frame.pts = None if frame.pts is None else frame.pts - shift
                for chunk in resampler.resample(frame):
                    self.out.mux(stream.encode(chunk))
            return
        if not packet.size:  # the end of the stream: nothing to copy
            return
        if packet.pts is not None:
            packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        packet.stream = stream
        self.out.mux(packet)

    def close(self) -> None:
        """Flush the encoders, finish the file and move it to ``path``."""
        if self.video is None:
            self.abort()
            raise VideoRejected(self.source.path, "has no video frames that could be decoded")
        self.out.mux(self.video.encode(None))
        for stream, resampler in self.audio.values():
            if resampler is not None:
                for chunk in resampler.resample(None):
                    self.out.mux(stream.encode(chunk))
                self.out.mux(stream.encode(None))
        self.out.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        """Close and delete the unfinished file."""
        try:
            self.out.close()
        except av.FFmpegError:
            pass
        self.partial.unlink(missing_ok=True)
