# node-gyp build of the same addon as CMakeLists.txt, from the same source list
# (native/sources.json, read through native/sources.cjs). Each ISA's kernels are a static
# library of their own so that only they get that ISA's flags.
{
  'target_defaults': {
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    'cflags': ['-ffp-contract=off', '-fvisibility=hidden', '-O3'],
    'cflags_cc': ['-std=c++17', '-fexceptions', '-ffp-contract=off', '-fvisibility=hidden', '-O3'],
    'include_dirs': ['native/include'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'MACOSX_DEPLOYMENT_TARGET': '11.0',
      'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
      'OTHER_CPLUSPLUSFLAGS': ['-ffp-contract=off', '-O3'],
    },
    'msvs_settings': {
      'VCCLCompilerTool': { 'ExceptionHandling': 1, 'AdditionalOptions': ['/std:c++17'] },
    },
  },
  'targets': [
    {
      'target_name': 'lowbit',
      'sources': [
        '<!@(node native/sources.cjs binding)',
        '<!@(node native/sources.cjs core)',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'conditions': [
        ['target_arch=="x64"', { 'dependencies': ['lowbit_avx2', 'lowbit_avxvnni', 'lowbit_avx512vnni', 'lowbit_amx'] }],
        ['target_arch=="arm64"', { 'dependencies': ['lowbit_neon', 'lowbit_neondot', 'lowbit_i8mm'] }],
        ['OS!="win"', { 'libraries': ['-lpthread'] }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'lowbit_avx2',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources x64 avx2)'],
          'cflags': ['<!@(node native/sources.cjs flags x64 avx2)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags x64 avx2)', '-ffp-contract=off', '-O3'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': '5' } },
        },
        {
          'target_name': 'lowbit_avxvnni',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources x64 avxvnni)'],
          'cflags': ['<!@(node native/sources.cjs flags x64 avxvnni)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags x64 avxvnni)', '-ffp-contract=off', '-O3'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': '5' } },
        },
        {
          'target_name': 'lowbit_avx512vnni',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources x64 avx512vnni)'],
          'cflags': ['<!@(node native/sources.cjs flags x64 avx512vnni)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags x64 avx512vnni)', '-ffp-contract=off', '-O3'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX512'] } },
        },
        {
          'target_name': 'lowbit_amx',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources x64 amx)'],
          'cflags': ['<!@(node native/sources.cjs flags x64 amx)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags x64 amx)', '-ffp-contract=off', '-O3'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX512'] } },
        },
      ],
    }],
    ['target_arch=="arm64"', {
      'targets': [
        {
          'target_name': 'lowbit_neon',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources arm64 neon)'],
        },
        {
          'target_name': 'lowbit_neondot',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources arm64 neondot)'],
          'cflags': ['<!@(node native/sources.cjs flags arm64 neondot)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags arm64 neondot)', '-ffp-contract=off', '-O3'] },
        },
        {
          'target_name': 'lowbit_i8mm',
          'type': 'static_library',
          'sources': ['<!@(node native/sources.cjs sources arm64 i8mm)'],
          'cflags': ['<!@(node native/sources.cjs flags arm64 i8mm)'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['<!@(node native/sources.cjs flags arm64 i8mm)', '-ffp-contract=off', '-O3'] },
        },
      ],
    }],
  ],
}
