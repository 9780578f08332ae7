// The import rules `npm run lint` checks with dependency-cruiser: no cycles in any package's
// source or the edge's (type imports included), packages/client/src's folders import only
// downwards, and the edge's production code never imports its dev/test-only folder.
// See docs/design.md, "The client's folders".

/**
 * packages/client/src's folders, bottom to top. A folder may import from the folders of the
 * ranks below its own, never from its own rank's other folders or from above. The entry files at
 * the top of src/ (index.ts, service-worker.ts) stand above every folder.
 */
const CLIENT_LAYERS = [
  ["utils"],
  ["browser"],
  ["lifecycle"],
  ["stores", "transport", "worker"],
  ["scheduler", "pool", "outbox", "requests"],
  ["runtime"],
];

const CLIENT = "^packages/client/src/";
const TESTS = "\\.test\\.tsx?$|\\.test-d\\.tsx?$|/fixtures/";

const layerRules = CLIENT_LAYERS.flatMap((rank, index) =>
  rank.map((folder) => {
    const notBelow = CLIENT_LAYERS.slice(index)
      .flat()
      .filter((other) => other !== folder);
    return {
      name: `client-layer-${folder}`,
      comment: `${folder}/ imports only from the folders below it (${CLIENT_LAYERS.slice(0, index).flat().join(", ") || "none"})`,
      severity: "error",
      from: { path: `${CLIENT}${folder}/` },
      to: { path: `${CLIENT}(${notBelow.length > 0 ? `(${notBelow.join("|")})/|` : ""}[^/]+\\.tsx?$)` },
    };
  }),
);

export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle of imports, type imports included, ties files that should stand apart.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "edge-no-dev",
      comment:
        "workers/src/api/dev/ (seeds, dev routes, faults, queue chaos) is only for the dev and test entry: production code never imports it.",
      severity: "error",
      from: { path: "^workers/src/api/", pathNot: "^workers/src/api/dev/" },
      to: { path: "^workers/src/api/dev/" },
    },
    {
      name: "client-layer-unlisted",
      comment: "A folder of packages/client/src that is not in CLIENT_LAYERS: give it its rank there.",
      severity: "error",
      from: {
        path: CLIENT,
        pathNot: `${CLIENT}((${CLIENT_LAYERS.flat().join("|")})/|[^/]+\\.tsx?$)`,
      },
      to: {},
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc reads
    // TypeScript, type-only imports included.
    parser: "swc",
    exclude: { path: `${TESTS}|/dist/|node_modules` },
    doNotFollow: { path: "node_modules" },
  },
};
