// Copies the audio (and subtitle) packets of an input file into a muxer without decoding them, a little at a
// time, so they interleave with the video being encoded: before each video packet at time t goes out, every
// copied packet up to t is handed to the muxer.

import CFFmpeg

/// Copies the non-video streams of one input into an output, in time order.
final class StreamCopier {
  private let demuxer: Demuxer
  /// Output stream index for each input stream, nil for streams left out.
  private var outputIndex: [Int?]
  private let packet: Packet
  private var pending = false
  private var exhausted = false

  /// Adds an output stream to `muxer` for each audio stream of `demuxer`, and each subtitle stream the
  /// container accepts; copies the container's metadata. Call before the muxer's header is written.
  init(from demuxer: Demuxer, to muxer: Muxer) throws {
    self.demuxer = demuxer
    packet = try Packet()
    outputIndex = Array(repeating: nil, count: demuxer.streamCount)
    for i in 0..<demuxer.streamCount {
      let input = demuxer.stream(i)
      let parameters = input.pointee.codecpar!
      let type = parameters.pointee.codec_type
      // An audio stream the probe saw only the start of (one that begins late in a transport stream) has no sample
      // rate or channels yet; a muxer refuses its header, so it is left out rather than losing the whole video.
      let complete =
        type != AVMEDIA_TYPE_AUDIO || (parameters.pointee.sample_rate > 0 && parameters.pointee.ch_layout.nb_channels > 0)
      let wanted =
        (type == AVMEDIA_TYPE_AUDIO || type == AVMEDIA_TYPE_SUBTITLE)
        && muxer.accepts(parameters.pointee.codec_id) && complete
      guard wanted else {
        input.pointee.discard = AVDISCARD_ALL
        continue
      }
      let output = try muxer.addStream()
      try check(
        avcodec_parameters_copy(output.pointee.codecpar, parameters),
        "cannot copy stream parameters")
      // The input container's codec tag may mean nothing in the output container.
      output.pointee.codecpar.pointee.codec_tag = 0
      output.pointee.time_base = input.pointee.time_base
      output.pointee.disposition = input.pointee.disposition
      av_dict_copy(&output.pointee.metadata, input.pointee.metadata, 0)
      outputIndex[i] = Int(output.pointee.index)
    }
    av_dict_copy(&muxer.context.pointee.metadata, demuxer.context.pointee.metadata, 0)
  }

  /// Whether any stream is copied.
  var isEmpty: Bool { !outputIndex.contains { $0 != nil } }

  /// Writes every copied packet whose decoding time is at most `time` seconds (all of them for `nil`).
  func copy(upTo time: Double?, into muxer: Muxer) throws {
    guard !isEmpty else { return }
    while !exhausted {
      if !pending {
        let status: Status
        do {
          status = try demuxer.read(into: packet)
        } catch let error as FFmpegError where error.code == FFmpegError.invalidData {
          continue  // a damaged stretch of the input: its audio is lost, the rest still copies
        }
        guard status == .ok else {
          exhausted = true
          return
        }
        // Streams that appear after the header was written (common in TS and FLV) are not in the table.
        guard packet.streamIndex < outputIndex.count, outputIndex[packet.streamIndex] != nil else {
          packet.unref()
          continue
        }
        pending = true
      }
      // The packet read last waits here until the video has caught up with it.
      let input = demuxer.stream(packet.streamIndex)
      if let time, let packetTime = seconds(packet, input), packetTime > time { return }
      let outputIndex = outputIndex[packet.streamIndex]!
      let output = muxer.stream(outputIndex)
      packet.pointer.pointee.stream_index = Int32(outputIndex)
      av_packet_rescale_ts(packet.pointer, input.pointee.time_base, output.pointee.time_base)
      packet.pointer.pointee.pos = -1
      pending = false
      try muxer.write(packet)  // takes the packet's data and leaves it blank
    }
  }

  private func seconds(_ packet: Packet, _ stream: UnsafeMutablePointer<AVStream>) -> Double? {
    var ts = packet.pointer.pointee.dts
    if ts == swift_AV_NOPTS_VALUE() { ts = packet.pointer.pointee.pts }
    if ts == swift_AV_NOPTS_VALUE() { return nil }
    return Double(ts) * av_q2d(stream.pointee.time_base)
  }
}
