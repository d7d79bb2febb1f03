@echo off
rem kikan-std @VERSION@ - offline install (no network): a new virtual environment from the bundled wheels.
rem usage:  install.bat [TARGET_DIR]      (default: kikan-std-venv beside this script)
rem         set PYTHON=C:\Python312\python.exe  to choose the Python (3.11 - 3.13, 64-bit)
rem Messages are ASCII on purpose: cmd.exe reads .bat files in the console code page.
setlocal
set "HERE=%~dp0"
set "TARGET=%~1"
if "%TARGET%"=="" set "TARGET=%HERE%kikan-std-venv"

if not "%PYTHON%"=="" (
    set PY="%PYTHON%"
    goto havepy
)
for %%v in (3.13 3.12 3.11) do (
    py -%%v -c "" >nul 2>nul && (
        set "PY=py -%%v"
        goto havepy
    )
)
set "PY=python"
:havepy
%PY% -c "import sys, struct; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) and struct.calcsize('P') == 8 else 1)"
if errorlevel 1 (
    echo install.bat: needs 64-bit Python 3.11 - 3.13 ^(set PYTHON=...^) 1>&2
    exit /b 2
)
%PY% -m venv "%TARGET%"
if errorlevel 1 exit /b 1
set PIP_NO_INDEX=1
"%TARGET%\Scripts\python.exe" -m pip install --quiet --disable-pip-version-check --no-index --find-links "%HERE%wheels" --require-hashes -r "%HERE%requirements.txt"
if errorlevel 1 (
    echo install.bat: pip install failed ^(is the bundle complete? compare SHA256SUMS^) 1>&2
    exit /b 1
)
"%TARGET%\Scripts\kikan-std.exe" --version
echo installed: "%TARGET%\Scripts\kikan-std.exe"
echo try:  "%TARGET%\Scripts\kikan-std.exe" check "%HERE%examples\jutogai_atena_sample.csv" --spec jutogai_atena
endlocal
