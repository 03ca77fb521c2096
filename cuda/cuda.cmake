# CUDA backend (MXC_USE_CUDA=ON). Kernels in cuda/*.cu take raw pointers, sizes and a stream; nvcc never compiles
# framework headers. The C++ glue (cuda/*.cc: device layer, kernel registration) is compiled into the core.
#
# cuBLAS: from MXC_CUBLAS_ROOT (a folder with include/cublas_v2.h and lib/libcublas.so*), else from the
# nvidia-cublas Python wheel (nvidia/cu13 or nvidia/cublas, located through python3), else from the CUDA toolkit.
# Without cuBLAS the build uses its own tiled GEMM kernel (with a warning).
#
# cuDNN (MXC_USE_CUDNN, on by default): from MXC_CUDNN_ROOT (a folder with include/cudnn.h and lib/libcudnn.so*),
# else from the nvidia-cudnn-cu13 Python wheel (nvidia/cudnn), else from the toolkit or the system. Without it the
# convolutions use mxc's im2col + GEMM kernels only (cuda/conv_cudnn.cc chooses between the two at run time).
if(MXC_CUDA_EMULATION)
  # The CUDA emulation build: the same sources, the kernels compiled as C++ with cuda/emu/emu.h, the CUDA runtime
  # and cuBLAS calls served by cuda/emu/runtime.cc (see there). Only the toolkit's headers are used.
  find_package(CUDAToolkit QUIET)
  find_path(MXC_CUDA_INCLUDE cuda_runtime.h HINTS ${CUDAToolkit_INCLUDE_DIRS} $ENV{CUDA_HOME}/include
            PATHS /usr/local/cuda/include /usr/local/cuda-13.0/include /usr/include)
  if(NOT MXC_CUDA_INCLUDE)
    message(FATAL_ERROR "MXC_CUDA_EMULATION needs the CUDA toolkit's headers (cuda_runtime.h)")
  endif()
  message(STATUS "mxc: CUDA emulation build (kernels on the CPU; headers from ${MXC_CUDA_INCLUDE})")
  file(GLOB MXC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
  file(GLOB MXC_CUDA_GLUE CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cc)
  set_source_files_properties(${MXC_CUDA_SOURCES} PROPERTIES LANGUAGE CXX)
  add_library(mxc_cuda_objs OBJECT ${MXC_CUDA_SOURCES})
  target_include_directories(mxc_cuda_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${MXC_CUDA_INCLUDE})
  target_compile_definitions(mxc_cuda_objs PRIVATE MXC_CUDA_EMULATION=1)
  target_compile_options(mxc_cuda_objs PRIVATE -x c++ -include ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/emu.h
                                               $<$<CONFIG:Release>:-O2>)
  set(MXC_CUDA_OBJECTS $<TARGET_OBJECTS:mxc_cuda_objs>)
  target_sources(mxc_objs PRIVATE ${MXC_CUDA_GLUE} ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/runtime.cc
                                 ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu/cudnn.cc)
  target_include_directories(mxc_objs BEFORE PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda/emu)
  target_include_directories(mxc_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${MXC_CUDA_INCLUDE})
  target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDA=1 MXC_CUDA_EMULATION=1)
  target_compile_definitions(mxc_objs PRIVATE MXC_HAVE_CUBLAS=1)
  if(MXC_USE_CUDNN)  # the emulated cuDNN subset of cuda/emu/cudnn.h
    target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDNN=1)
  endif()
  return()
endif()

# Hopper (sm_90) unless the caller names architectures: set before enable_language(CUDA), which otherwise fills in
# nvcc's default (sm_75 for CUDA 13: kernels then reach an H100/H200 only as PTX compiled at load time).
if((NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "") AND "$ENV{CUDAARCHS}" STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(CMAKE_CUDA_STANDARD 17)
file(GLOB MXC_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
file(GLOB MXC_CUDA_GLUE CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cc)
if(MXC_CUDA_SOURCES)
  add_library(mxc_cuda_objs OBJECT ${MXC_CUDA_SOURCES})
  set_target_properties(mxc_cuda_objs PROPERTIES POSITION_INDEPENDENT_CODE ON CUDA_ARCHITECTURES
                                                 "${CMAKE_CUDA_ARCHITECTURES}")
  target_compile_options(mxc_cuda_objs PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3>)
  # Without fused multiply-adds (nvcc contracts a * b + c by default; the CPU build does not): cuda/spatial.cu, whose
  # sampling positions and bin edges (then floored) round as the CPU kernels' do, and the kernels that promise the CPU's
  # results exactly: image.cu (float blends truncated to integer pixels), quant.cu, quant2.cu (calibrate_entropy's
  # divergence sums, then an argmin), sparse.cu (double dot products in the CPU's order), detect.cu (the boxes, areas
  # and IoUs that NMS, matching and mining compare with thresholds and sort) and linalg2.cu (the factorizations, whose
  # determinants a test compares exactly).
  foreach(f spatial image quant quant2 sparse detect linalg2)
    set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/cuda/${f}.cu PROPERTIES COMPILE_OPTIONS "--fmad=false")
  endforeach()
  set(MXC_CUDA_OBJECTS $<TARGET_OBJECTS:mxc_cuda_objs>)
endif()
target_sources(mxc_objs PRIVATE ${MXC_CUDA_GLUE})
target_include_directories(mxc_objs PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda ${CUDAToolkit_INCLUDE_DIRS})
target_compile_definitions(mxc_objs PUBLIC MXC_USE_CUDA=1)
list(APPEND MXC_LINK_LIBS CUDA::cudart)

# mxc_find_cuda_library(PREFIX HEADER WHEEL_DIRS NAMES...): sets PREFIX_INCLUDE (the folder of HEADER) and
# PREFIX_LIBRARY, searched in PREFIX_ROOT (a CMake or environment variable: a folder with include/ and lib/), then in
# the nvidia/<dir> folders of python3's wheels for each of WHEEL_DIRS, then in the CUDA toolkit and the system.
find_program(MXC_PYTHON3 NAMES python3 python)
function(mxc_find_cuda_library prefix header wheel_dirs)
  set(hints $ENV{${prefix}_ROOT} ${${prefix}_ROOT})
  if(MXC_PYTHON3)
    string(REPLACE ";" "', '" dirs "${wheel_dirs}")
    execute_process(
      COMMAND ${MXC_PYTHON3} -c "import nvidia, os; print(';'.join(os.path.join(p, s) for p in nvidia.__path__ for s in ('${dirs}',)))"
      OUTPUT_VARIABLE py_dirs OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    list(APPEND hints ${py_dirs})
  endif()
  find_path(${prefix}_INCLUDE ${header} HINTS ${hints} PATH_SUFFIXES include PATHS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(${prefix}_LIBRARY NAMES ${ARGN} HINTS ${hints} PATH_SUFFIXES lib lib64
               PATHS ${CUDAToolkit_LIBRARY_DIR})
endfunction()
# Uses a found library: its header folder, a compile definition, the link, and an rpath to its folder (the wheels'
# libraries load their companions, such as cublasLt or cuDNN's engine libraries, from their own folder).
macro(mxc_use_cuda_library prefix definition visibility)
  target_include_directories(mxc_objs BEFORE PRIVATE ${${prefix}_INCLUDE})
  target_compile_definitions(mxc_objs ${visibility} ${definition}=1)
  list(APPEND MXC_LINK_LIBS ${${prefix}_LIBRARY})
  get_filename_component(_mxc_lib_dir ${${prefix}_LIBRARY} DIRECTORY)
  list(APPEND CMAKE_BUILD_RPATH ${_mxc_lib_dir})
  list(APPEND CMAKE_INSTALL_RPATH ${_mxc_lib_dir})
endmacro()

# ---- cuBLAS ----
mxc_find_cuda_library(MXC_CUBLAS cublas_v2.h "cu13;cublas" cublas libcublas.so.13 libcublas.so.12)
if(MXC_CUBLAS_INCLUDE AND MXC_CUBLAS_LIBRARY)
  message(STATUS "mxc: cuBLAS ${MXC_CUBLAS_LIBRARY}")
  mxc_use_cuda_library(MXC_CUBLAS MXC_HAVE_CUBLAS PRIVATE)
else()
  message(WARNING "mxc: cuBLAS not found (pip install nvidia-cublas==13.0.2.14, or set MXC_CUBLAS_ROOT): "
                  "matrix products use mxc's own GEMM kernel")
endif()

# ---- cuDNN ----
if(MXC_USE_CUDNN)
  mxc_find_cuda_library(MXC_CUDNN cudnn.h "cudnn" cudnn libcudnn.so.9)
  if(MXC_CUDNN_INCLUDE AND MXC_CUDNN_LIBRARY)
    file(STRINGS ${MXC_CUDNN_INCLUDE}/cudnn_version.h _mxc_cudnn_major REGEX "define CUDNN_MAJOR")
    message(STATUS "mxc: cuDNN ${MXC_CUDNN_LIBRARY} (${_mxc_cudnn_major})")
    mxc_use_cuda_library(MXC_CUDNN MXC_USE_CUDNN PUBLIC)
  else()
    message(STATUS "mxc: cuDNN not found (pip install nvidia-cudnn-cu13, or set MXC_CUDNN_ROOT): convolutions use "
                   "mxc's own im2col + GEMM kernels")
  endif()
endif()
