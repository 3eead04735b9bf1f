# SPDX-License-Identifier: BSD-2-Clause
# cmocka tests of a tool's own modules (tests/unit/ holds common/'s):
# tool_unit_test(NAME SOURCE...) builds build/tests/NAME from the test
# file and the tool sources it tests, linked to common, as unit/NAME.
function(tool_unit_test name)
	if(NOT CMOCKA_FOUND)
		return()
	endif()
	add_executable(${name} ${ARGN})
	target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
		${CMAKE_SOURCE_DIR}/tests/unit)
	target_link_libraries(${name} common PkgConfig::CMOCKA)
	set_target_properties(${name} PROPERTIES
		RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
	add_test(NAME unit/${name} COMMAND ${name})
	set_tests_properties(unit/${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
