; 村医通 Windows installer (Inno Setup 6). Built by installer\build.py after the PyInstaller bundle:
;   ISCC.exe /DAppVersion=0.1.0 /DRepo=C:\path\to\repo installer\cunyi.iss
; Gives dist\cunyi-setup-<version>.exe: one file that installs or upgrades 村医通.
;
; - Start-menu shortcut (and a desktop one if chosen).
; - Upgrades replace the program only. The data folder (%LOCALAPPDATA%\cunyi, or the "data" folder of
;   a portable copy) is never touched: the app itself backs the database up (backups\*-before-upgrade.db)
;   before it migrates the schema at its next start.
; - The uninstaller keeps the data unless the user asks for it to go (asked twice, default: keep).
; - The township hub (cunyi-hub) as a Windows service through WinSW (installer\windows\cunyi-hub-service.xml),
;   an optional task; only offered when installer\windows\WinSW-x64.exe was there at build time.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Repo
  #define Repo ".."
#endif
#define Bundle Repo + "\dist\cunyi"
#define WinSW Repo + "\installer\windows\WinSW-x64.exe"
#define HubHome "{commonappdata}\cunyi-hub"

[Setup]
AppId={{6B0C7E52-3F0B-4C35-9C61-2D3A4E0C9A11}
AppName=村医通
AppVersion={#AppVersion}
AppVerName=村医通 {#AppVersion}
AppPublisher=村医通
VersionInfoVersion={#AppVersion}
VersionInfoDescription=村医通安装程序
DefaultDirName={autopf}\cunyi
DefaultGroupName=村医通
DisableProgramGroupPage=yes
OutputDir={#Repo}\dist
OutputBaseFilename=cunyi-setup-{#AppVersion}
#if FileExists(Repo + "\build\cunyi.ico")
SetupIconFile={#Repo}\build\cunyi.ico
#endif
UninstallDisplayIcon={app}\cunyi.exe
UninstallDisplayName=村医通
Compression=lzma2/max
SolidCompression=yes
; PySide6 (Qt 6) and Python 3.11 need 64-bit Windows 10 or later
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
PrivilegesRequired=admin
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
UsePreviousAppDir=yes
UsePreviousTasks=yes

[Languages]
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "chs"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#else
Name: "default"; MessagesFile: "compiler:Default.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "在桌面创建“村医通”快捷方式"; GroupDescription: "快捷方式："
#if FileExists(WinSW)
Name: "hubservice"; Description: "安装乡镇同步服务 (cunyi-hub，Windows 服务，开机自动启动；只有乡镇卫生院的服务器需要)"; GroupDescription: "乡镇同步服务："; Flags: unchecked
#endif

[Files]
; the whole bundle; files of an older version that are gone from the new one are removed below
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#if FileExists(WinSW)
Source: "{#WinSW}"; DestDir: "{app}\service"; DestName: "cunyi-hub-service.exe"; Flags: ignoreversion
Source: "{#Repo}\installer\windows\cunyi-hub-service.xml"; DestDir: "{app}\service"; Flags: ignoreversion
#endif

[InstallDelete]
; the previous version's program files (never the data: it does not live under {app}\_internal)
Type: filesandordirs; Name: "{app}\_internal"

#if FileExists(WinSW)
[Dirs]
Name: "{#HubHome}"; Tasks: hubservice; Flags: uninsneveruninstall
#endif

[Icons]
Name: "{group}\村医通"; Filename: "{app}\cunyi.exe"; WorkingDir: "{app}"
Name: "{group}\卸载村医通"; Filename: "{uninstallexe}"
Name: "{autodesktop}\村医通"; Filename: "{app}\cunyi.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
#if FileExists(WinSW)
Filename: "{app}\cunyi-hub.exe"; Parameters: "init --home ""{#HubHome}"""; StatusMsg: "初始化乡镇同步服务……"; Flags: runhidden waituntilterminated; Tasks: hubservice; Check: HubNotInitialized
Filename: "{app}\service\cunyi-hub-service.exe"; Parameters: "install"; StatusMsg: "注册乡镇同步服务……"; Flags: runhidden waituntilterminated; Tasks: hubservice; Check: not ServiceWasInstalled
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""村医通乡镇同步服务"" dir=in action=allow protocol=TCP localport=8443"; Flags: runhidden waituntilterminated; Tasks: hubservice; Check: not ServiceWasInstalled
Filename: "{app}\service\cunyi-hub-service.exe"; Parameters: "start"; StatusMsg: "启动乡镇同步服务……"; Flags: runhidden waituntilterminated; Tasks: hubservice
#endif
Filename: "{app}\cunyi.exe"; Description: "启动村医通"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{app}\service\cunyi-hub-service.exe"; Parameters: "stop"; Flags: runhidden waituntilterminated skipifdoesntexist; RunOnceId: "StopHub"
Filename: "{app}\service\cunyi-hub-service.exe"; Parameters: "uninstall"; Flags: runhidden waituntilterminated skipifdoesntexist; RunOnceId: "RemoveHub"
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""村医通乡镇同步服务"""; Flags: runhidden waituntilterminated; RunOnceId: "RemoveHubFirewall"

[Code]
var
  HadService: Boolean;

function ServiceExe(): String;
begin
  Result := ExpandConstant('{app}\service\cunyi-hub-service.exe');
end;

function ServiceWasInstalled(): Boolean;
begin
  Result := HadService;
end;

function HubNotInitialized(): Boolean;
begin
  Result := not FileExists(ExpandConstant('{#HubHome}\hub.json'));
end;

{ An upgrade: stop the running hub before its files are replaced (it is started again in [Run]). }
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  Code: Integer;
begin
  Result := '';
  HadService := FileExists(ServiceExe());
  if HadService then
    Exec(ServiceExe(), 'stop', '', SW_HIDE, ewWaitUntilTerminated, Code);
end;

{ Uninstall keeps the data unless the user asks, twice, for it to go. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folders: String;
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent() then
  begin
    Folders := ExpandConstant('{localappdata}\cunyi') + #13#10 + ExpandConstant('{app}\data') + #13#10 +
      ExpandConstant('{#HubHome}');
    if MsgBox('村医通已卸载。数据（数据库、自动备份、导出文件）仍保留在：' + #13#10 + Folders + #13#10 + #13#10 +
        '是否同时删除这些数据？一般请选“否”：重新安装后数据仍可使用。', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      if MsgBox('删除后无法恢复。确定删除全部村医通数据吗？', mbError, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      begin
        DelTree(ExpandConstant('{localappdata}\cunyi'), True, True, True);
        DelTree(ExpandConstant('{app}\data'), True, True, True);
        DelTree(ExpandConstant('{app}\settings'), True, True, True);
        DelTree(ExpandConstant('{#HubHome}'), True, True, True);
        RemoveDir(ExpandConstant('{app}'));
      end;
  end;
end;
