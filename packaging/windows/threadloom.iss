; Inno Setup 6 script: turns build\dist\threadloom (packaging\windows\threadloom.spec) into
; dist\threadloom-VERSION-windows-x64-setup.exe.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\threadloom.iss
;
; Installs per user (no admin) by default, or for all users if the person chooses;
; adds a Start menu entry (and optionally a desktop one) for threadloomw.exe; the
; uninstaller removes everything it installed. NOT BUILT OR RUN YET: see README.md here.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=0.1.0 packaging\windows\threadloom.iss
#endif

#define AppName "Threadloom"
#define AppExe "threadloomw.exe"
#define Root "..\.."

[Setup]
; The AppId identifies the product to Windows across upgrades: never change it.
AppId={{5959332A-C7EA-47AF-B62A-7D2955FEE7EF}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Threadloom developers
AppPublisherURL=https://github.com/threadloom/threadloom
AppSupportURL=https://github.com/threadloom/threadloom/issues
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile={#Root}\LICENSE
OutputDir={#Root}\dist
OutputBaseFilename=threadloom-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\threadloom.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\build\dist\threadloom\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "io.github.threadloom.Threadloom"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon; AppUserModelID: "io.github.threadloom.Threadloom"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Another Python running the probe from its plain sources may write bytecode next to them.
Type: filesandordirs; Name: "{app}\_internal\probe-src"
