# Writes OUT: a C++ array k${NAME}Migrations with the text of each file in FILES
# (a ;-list), and its length k${NAME}MigrationCount.
set(content "// Generated from schema/*/*.sql by schema/embed.cmake. Do not edit.\n")
string(APPEND content "#include \"schema/schema.h\"\nnamespace mailtrail {\n")
string(APPEND content "const char* const k${NAME}Migrations[] = {\n")
set(n 0)
separate_arguments(FILES)
foreach(f ${FILES})
  file(READ ${f} sql)
  string(APPEND content "R\"mtsql(${sql})mtsql\",\n")
  math(EXPR n "${n} + 1")
endforeach()
string(APPEND content "};\nconst int k${NAME}MigrationCount = ${n};\n}  // namespace mailtrail\n")
file(WRITE ${OUT} "${content}")
