// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "keyface",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "keyface", targets: ["keyface"]),
    .library(name: "KeyfaceNN", targets: ["KeyfaceNN"]),
    .library(name: "KeyfaceTraining", targets: ["KeyfaceTraining"]),
    .library(name: "KeyfaceMedia", targets: ["KeyfaceMedia"]),
    .library(name: "KeyfaceDetection", targets: ["KeyfaceDetection"]),
    .library(name: "KeyfaceFaces", targets: ["KeyfaceFaces"]),
    .library(name: "KeyfaceBatch", targets: ["KeyfaceBatch"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // Thin C modules: headers and macro shims only.
    .systemLibrary(
      name: "CFFmpeg",
      pkgConfig: "libavformat libavcodec libswscale libavutil",
      providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),

    // The convolutional network, its training and its model files. Only module importing CBLAS.
    .target(
      name: "KeyfaceNN",
      dependencies: ["CBLAS"],
      resources: [
        .copy("Resources/keyface-frames.safetensors"), .copy("Resources/keyface-crops.safetensors"),
        .copy("Resources/keyface-crops-partner.safetensors"), .copy("Resources/keyface-crops-2.safetensors"),
        .copy("Resources/keyface-patches.safetensors"),
      ],
      swiftSettings: [.unsafeFlags(["-Ounchecked"])]
    ),
    // Kaggle CSV files, augmentation, the training loop and accuracy metrics. Only module importing CZlib.
    .target(name: "KeyfaceTraining", dependencies: ["KeyfaceNN", "CZlib"]),
    // Decoding, scaling, encoding and muxing through FFmpeg. Only module importing CFFmpeg.
    .target(name: "KeyfaceMedia", dependencies: ["CFFmpeg"]),
    // Face detection: the Haar cascade evaluator and the face finders built on it. Needs only KeyfaceMedia.
    .target(name: "KeyfaceDetection", dependencies: ["KeyfaceMedia"]),
    // Faces in frames: crops, tracking, smoothing, the streaming pipeline and its outputs.
    .target(name: "KeyfaceFaces", dependencies: ["KeyfaceNN", "KeyfaceMedia", "KeyfaceDetection"]),
    // Folders of clips: discovery, sharding, resumable atomic outputs, parallel jobs, summaries.
    .target(name: "KeyfaceBatch"),
    // The command-line tool: parses arguments and calls the libraries.
    .executableTarget(
      name: "keyface",
      dependencies: [
        "KeyfaceNN", "KeyfaceTraining", "KeyfaceMedia", "KeyfaceDetection", "KeyfaceFaces", "KeyfaceBatch",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    .testTarget(name: "KeyfaceNNTests", dependencies: ["KeyfaceNN"]),
    .testTarget(name: "KeyfaceTrainingTests", dependencies: ["KeyfaceTraining", "KeyfaceNN"]),
    .testTarget(name: "KeyfaceMediaTests", dependencies: ["KeyfaceMedia"]),
    .testTarget(name: "KeyfaceFacesTests", dependencies: ["KeyfaceFaces", "KeyfaceDetection", "KeyfaceMedia", "KeyfaceNN"]),
    .testTarget(name: "KeyfaceBatchTests", dependencies: ["KeyfaceBatch"]),
    .testTarget(name: "KeyfaceCLITests", dependencies: ["keyface", "KeyfaceMedia", "KeyfaceNN"]),
  ],
  swiftLanguageModes: [.v5]
)
