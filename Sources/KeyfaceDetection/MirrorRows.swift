/// Copies a `width` x `height` grey picture into `destination` flipped left to right.
public func mirrorRows(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
  for y in 0..<height {
    let row = source + y * width, out = destination + y * width
    for x in 0..<width { out[x] = row[width - 1 - x] }
  }
}
