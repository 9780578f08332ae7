// The browser example built by webpack 5 instead of Vite (copied into the temporary app by
// browser-app.test.ts): webpack builds `new Worker(new URL("./x.ts", import.meta.url))` itself.
import path from "node:path";

export default {
  mode: "production",
  entry: "./src/main.ts",
  output: { path: path.resolve("dist-webpack"), filename: "[name].[contenthash].js", clean: true },
  experiments: { topLevelAwait: true },
  resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
  module: {
    rules: [{ test: /\.ts$/, loader: "ts-loader", options: { transpileOnly: true } }],
  },
};
