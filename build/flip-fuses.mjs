// electron-builder afterPack hook: flip Electron's fuses in the packaged binary, before signing.
// Fuses are compiled-in switches (https://www.electronjs.org/docs/latest/tutorial/fuses), so these
// hold even against a user's environment or command line; Signal Desktop does the same.
import path from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';

/** @param {import('app-builder-lib').AfterPackContext} context */
export default async function flipElectronFuses(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const binary = {
    darwin: `${packager.appInfo.productFilename}.app`,
    mas: `${packager.appInfo.productFilename}.app`,
    win32: `${packager.appInfo.productFilename}.exe`,
    linux: packager.executableName,
  }[electronPlatformName];
  if (binary === undefined) throw new Error(`no fuse target for platform ${electronPlatformName}`);

  await flipFuses(path.join(appOutDir, binary), {
    version: FuseVersion.V1,
    // Flipping changes the binary, which voids the ad-hoc signature arm64 macOS requires to run it.
    resetAdHocDarwinSignature: electronPlatformName === 'darwin',
    // `ELECTRON_RUN_AS_NODE=1 tessera` would otherwise be a plain Node with the app's privileges.
    [FuseV1Options.RunAsNode]: false,
    // NODE_OPTIONS=--require=… and --inspect would let anyone who sets the environment inject code.
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    // The app runs only from its asar, and the asar is checked against the hash electron-builder
    // embeds (enforced on macOS and Windows; Electron does not implement the check on Linux yet).
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    // The UI is served from app://, so file:// needs none of its legacy extra privileges.
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  });
}
