/**
 * badmx's dependency rules, checked by `npm run lint:deps` (part of `npm test`) and by
 * test/architecture/layering.test.ts; docs/architecture.md#the-layering-rule says why.
 *
 * @type {string[][]}
 *
 * The layers of src/, lowest first. A module imports only from its own folder and from the
 * folders of earlier layers: never from a later layer, nor from another folder of its own layer
 * (folders on one line are independent of each other). So no two folders can depend on each
 * other, directly or through others. A subfolder is a folder of its own (senders/mta is not
 * senders); an entry ending in .ts is a module directly in src/. A folder that is in no layer
 * is an error until it is given its place here.
 */
export const LAYERS = [
  ['errors.ts', 'version.ts'],
  ['text'],
  ['files'],
  ['profiles'],
  ['certs', 'recorder', 'evidence', 'tlsrpt'],
  ['receivers'],
  ['probes', 'dns'],
  ['classify', 'senders'],
  ['policy', 'senders/mta', 'config'],
  ['document', 'sender-spec'],
  ['run', 'report'],
  ['cli'],
  ['index.ts'],
  ['vitest'],
];

/** The modules of one layer entry: a file directly in src/, or the files directly in a folder (not its subfolders). */
function modulesOf(entry) {
  const escaped = entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return entry.endsWith('.ts') ? `^src/${escaped}$` : `^src/${escaped}/[^/]+$`;
}

const layering = LAYERS.flatMap((layer, index) => {
  const below = LAYERS.slice(0, index).flat();
  return layer.map((entry) => ({
    name: 'layering',
    severity: 'error',
    comment: `src/${entry} imports only from itself and from the layers below it: ${below.join(', ') || 'nothing'}`,
    from: { path: modulesOf(entry) },
    to: { path: '^src/', pathNot: [entry, ...below].map(modulesOf) },
  }));
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...layering,
    {
      name: 'layering-unlisted',
      severity: 'error',
      comment: 'Every module of src/ belongs to a layer: give a new folder its place in LAYERS (.dependency-cruiser.js)',
      from: { path: '^src/', pathNot: LAYERS.flat().map(modulesOf) },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module depends on itself through others',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      scope: 'folder',
      comment: 'No two folders depend on each other, directly or through others',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'src/ is what ships: it never imports test/ or bench/',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-undeclared',
      severity: 'error',
      comment: 'Every package src/ imports is declared in package.json',
      from: { path: '^src/' },
      // dependencyTypesNot: a package also under peerDependenciesMeta is reported as npm-no-pkg beside npm-peer.
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'] },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'src/ runs without the devDependencies: only src/vitest imports vitest (a peer dependency)',
      from: { path: '^src/', pathNot: '^src/vitest/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: 'node_modules/@types/' },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'src/vitest imports vitest (its peer dependency) and no other devDependency',
      from: { path: '^src/vitest/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: ['node_modules/@types/', '^node_modules/vitest/'] },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module of src/ that imports nothing and that nothing imports is dead code',
      from: { orphan: true, path: '^src/' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
